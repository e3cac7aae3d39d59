"""Every exercise checker accepts the right answer in any reasonable form and tolerance, rejects the common wrong
answers with a hint, and never gives the answer away. Right answers here come from numpy and closed forms."""
import math, re, warnings
import numpy as np
import pytest
import torch
from linreg2p import practice as P
from linreg2p.models import make_data, train_model

X, f, Y = make_data(seed=0)
x, y = X.double().numpy().ravel(), Y.double().numpy().ravel()
H = 2 * np.array([[np.mean(x * x), np.mean(x)], [np.mean(x), 1.0]])

def np_loss_after(lr, steps):
    w, b = -15.0, -10.0
    for _ in range(steps):
        r = w * x + b - y
        w, b = w - lr * 2 * np.mean(r * x), b - lr * 2 * np.mean(r)
    return float(np.mean((w * x + b - y) ** 2))

def forms(v):
    "The same number as a float, a numpy float32, a 0-dim and a 1-element tensor, and a string."
    return [v, np.float32(v), torch.tensor(v), torch.tensor([v]), np.array([[v]]), f'{v:.6g}']

def gives_away(fb, v):
    "Does the message print the answer (to 3 significant digits or more)?"
    return any(abs(float(n) - v) <= 1e-3 * abs(v) for n in re.findall(r'\d+\.\d{2,}|\d+e-?\d+', fb.message))

CASES = { # checker -> (right answer, tolerance to accept, common wrong answers)
    P.check_lab_loss: (np_loss_after(0.25, 5), 0.005, [np_loss_after(0.25, 0), np_loss_after(0.25, 4), np_loss_after(0.2, 5)]),
    P.check_centred_bound: (2 / np.linalg.eigvalsh(2 * np.diag([np.var(x), 1.0]))[-1], 5e-5, [2 / np.linalg.eigvalsh(H)[-1]]),
    P.check_shallow_factor: (abs(1 - 0.2 * np.linalg.eigvalsh(H)[0]), 5e-4, [abs(1 - 0.2 * np.linalg.eigvalsh(H)[1]), 0.8]),
    P.check_overshoot_lr: (1 / 20, 0.005, [0.1, 1 / 3]),
    P.check_updates: (180, 0, [15, 12, 181]),
}

@pytest.mark.parametrize('check', list(CASES), ids=lambda c: c.__name__)
def test_numeric_checkers(check):
    right, tol, wrong = CASES[check]
    for form in forms(right): assert check(form), (form, check(form))
    assert check(right * (1 + tol)) and check(right * (1 - tol)) # inside the stated tolerance
    if tol: assert not check(right * (1 + 20 * tol)) # well outside it
    for w in wrong:
        fb = check(w)
        assert not fb and fb.message and not gives_away(fb, right), (w, fb)
    for junk in ('abc', [1.0, 2.0], True):
        fb = check(junk)
        assert not fb and 'number' in fb.message
    assert not check(None) and 'Replace None' in check(None).message

@pytest.mark.parametrize('check, right', [(P.check_lab_034, False), (P.check_sgd_settles, False), (P.check_full_batch_sgd, False)],
                         ids=lambda c: getattr(c, '__name__', ''))
def test_yes_no_checkers(check, right):
    for form in (right, 'yes' if right else 'no', 'Yes ' if right else ' NO', np.bool_(right)): assert check(form)
    fb = check(not right)
    assert not fb and len(fb.message) > 20
    assert not check('maybe') and 'yes or no' in check('maybe').message

def test_the_lab_034_answer_is_what_training_does():
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        h = train_model(X, Y, lr=0.34, iters=100)
    assert (h.loss[-1] < h.loss[0]) == bool(P.check_lab_034(True)) # 'converges' is right exactly when the loss falls

def test_validation_checkers_follow_select_lr():
    from linreg2p.validation import make_split, select_lr
    split = make_split(seed=0)[:4]
    sel = select_lr(*split, w=15.0, b=10.0)
    val = {lr: np.mean((m.w.item() * split[2].double().numpy() + m.b.item() - split[3].double().numpy()) ** 2)
           for lr, m in sel.models.items()}
    right = min(val, key=val.get) # validation's pick, recomputed with numpy
    assert P.check_pick_from(right) and P.check_pick_from(str(right))
    assert not any(P.check_pick_from(lr) for lr in sel.models if lr != right)
    sel0 = select_lr(*split)
    train_pick = min(sel0.train_loss, key=sel0.train_loss.get)
    assert P.check_training_pick(train_pick)
    assert not any(P.check_training_pick(lr) for lr in sel0.models if lr != train_pick)

def test_feedback_reads_well():
    fb = P.check_overshoot_lr(0.05)
    assert repr(fb).startswith('✓ Right.') and fb._repr_markdown_().startswith('**✓ Right.**')
    assert repr(P.check_overshoot_lr(0.2)).startswith('✗ Not yet.')

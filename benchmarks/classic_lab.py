"""The classic lab as one headless script: the reference that `bench.py` times `linreg2p lab` against.

    python benchmarks/classic_lab.py --out DIR

It does the work of the course's original notebook, in the same order and with the same kind of pyplot code, and
renders every figure the notebook shows to a PNG the way Jupyter's inline backend does (the figure's own dpi,
`bbox_inches='tight'`), with matplotlib's Agg backend:

- the data with the true line;
- at construction of the visualizer, the loss surface in 3-D and its contour;
- training at lr 0.1 for 15 steps, a data-space / parameter-space figure every third step (5 figures);
- the final plot: the path on a 3-D wireframe and on the contour (2 figures), then the loss curve;
- the practice run at lr 0.2 with its own 5 snapshots, and both loss curves on one figure.

That is 17 rendered figures. The original's bugs that change what is computed are fixed, so that both sides do the
same work: the surface has the right sign on b and the grid's size, the practice run records into its own lists,
and the data are seeded. The bugs that only change the picture (the off-by-one labels) are kept: they cost nothing.
"""

import argparse
import os
import sys
from pathlib import Path


def main(argv=None):
    p = argparse.ArgumentParser(prog='benchmarks/classic_lab.py', description=__doc__.splitlines()[0])
    p.add_argument('--out', required=True, help='folder for the 17 PNG files (created)')
    args = p.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    import matplotlib
    matplotlib.use('Agg') # headless: pyplot keeps the figures, nothing shows them
    import matplotlib.pyplot as plt
    import numpy as np
    import torch

    count = [0]
    def show():
        "What `plt.show()` does in a notebook: render every open figure to a PNG, then close them all."
        for num in plt.get_fignums():
            fig = plt.figure(num)
            if fig.axes: # an empty figure is printed as text by Jupyter, not drawn
                count[0] += 1
                fig.savefig(out / f'figure-{count[0]:02d}.png', dpi=fig.dpi, bbox_inches='tight')
        plt.close('all')

    class Visualizer:
        "Keeps the loss over a (w, b) grid and the states of one training run, and draws them."
        def __init__(self, w_range, b_range, X, Y, n=30, draw=True):
            ws, bs = np.linspace(-w_range, w_range, n), np.linspace(-b_range, b_range, n)
            self.w, self.b = np.meshgrid(ws, bs)
            self.x, self.y = X.numpy(), Y.numpy()
            self.Z = np.zeros((n, n))
            for i in range(n): # one pass over the data per grid point, as the original does
                for j in range(n):
                    self.Z[i, j] = np.mean((self.y - (self.w[i, j] * self.x + self.b[i, j])) ** 2)
            self.W, self.B, self.LOSS, self.n = [], [], [], 0
            if draw:
                plt.figure(figsize=(7.5, 5))
                plt.axes(projection='3d').plot_surface(self.w, self.b, self.Z, rstride=1, cstride=1,
                                                       cmap='viridis', edgecolor='none')
                plt.title('Cost/Total Loss Surface'); plt.xlabel('w'); plt.ylabel('b')
                show()
                plt.figure()
                plt.title('Cost/Total Loss Surface Contour'); plt.xlabel('w'); plt.ylabel('b')
                plt.contour(self.w, self.b, self.Z)
                show()

        def record(self, w, b, loss):
            self.n += 1
            self.W.append(w); self.B.append(b); self.LOSS.append(loss)

        def snapshot(self):
            "The line in data space next to the states so far on the contour."
            plt.subplot(121)
            plt.plot(self.x, self.y, 'ro', label='training points')
            plt.plot(self.x, self.W[-1] * self.x + self.B[-1], label='estimated line')
            plt.xlabel('x'); plt.ylabel('y'); plt.ylim((-10, 15))
            plt.title('Data Space Iteration: ' + str(self.n))
            plt.subplot(122)
            plt.contour(self.w, self.b, self.Z)
            plt.scatter(self.W, self.B, c='r', marker='x')
            plt.title('Total Loss Surface Contour Iteration' + str(self.n))
            plt.xlabel('w'); plt.ylabel('b')
            show()

        def final(self):
            "The path on a 3-D wireframe, then on the contour."
            ax = plt.axes(projection='3d')
            ax.plot_wireframe(self.w, self.b, self.Z)
            ax.scatter(self.W, self.B, self.LOSS, c='r', marker='x', s=200, alpha=1)
            plt.figure()
            plt.contour(self.w, self.b, self.Z)
            plt.scatter(self.W, self.B, c='r', marker='x')
            plt.xlabel('w'); plt.ylabel('b')
            show()

    torch.manual_seed(0)
    X = torch.arange(-3, 3, 0.1).view(-1, 1)
    f = 1 * X - 1
    Y = f + 0.1 * torch.randn(X.size())
    plt.plot(X.numpy(), Y.numpy(), 'rx', label='y')
    plt.plot(X.numpy(), f.numpy(), label='f')
    plt.xlabel('x'); plt.ylabel('y'); plt.legend()
    show()

    def train(vis, lr, iters, losses):
        "Gradient descent through `.data`, a snapshot every third step, as the original loop does."
        w = torch.tensor(-15.0, requires_grad=True)
        b = torch.tensor(-10.0, requires_grad=True)
        for epoch in range(iters):
            loss = torch.mean((w * X + b - Y) ** 2)
            vis.record(w.data.tolist(), b.data.tolist(), loss.tolist())
            if epoch % 3 == 0: vis.snapshot()
            losses.append(loss.item())
            loss.backward()
            w.data = w.data - lr * w.grad.data
            b.data = b.data - lr * b.grad.data
            w.grad.data.zero_(); b.grad.data.zero_()

    surface = Visualizer(15, 15, X, Y, 30)
    LOSS = []
    train(surface, 0.1, 15, LOSS)
    surface.final()
    plt.plot(LOSS); plt.tight_layout(); plt.xlabel('Epoch/Iterations'); plt.ylabel('Cost')
    show()

    practice, LOSS2 = Visualizer(15, 15, X, Y, 30, draw=False), []
    train(practice, 0.2, 15, LOSS2)
    plt.plot(LOSS, label='LOSS'); plt.plot(LOSS2, label='LOSS2'); plt.tight_layout()
    plt.xlabel('Epoch/Iterations'); plt.ylabel('Cost'); plt.legend()
    show()
    print(f'{count[0]} figures in {out}{os.sep}')
    return 0


if __name__ == '__main__':
    sys.exit(main())

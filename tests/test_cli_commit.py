"""The output folder of `linreg2p lab`, in process and fast: the checks at the start, the rename that never replaces,
and the commit when the target changes at every moment the run does not control, including the microseconds
between the commit's last check and its rename. Each race is staged by changing the folder from inside the
function the commit calls next."""
import errno, json, os, stat
from pathlib import Path
import pytest
import linreg2p.cli as cli

class Refused(Exception): pass
def refuse(message): raise Refused(message)

@pytest.fixture(params=['renameat2', 'fallback'])
def renames(request, monkeypatch):
    "Every test twice: with Linux's renameat2, and without it (as on macOS, or a file system that lacks it)."
    if request.param == 'renameat2':
        if cli._renameat2() is None: pytest.skip('no renameat2 here')
    else: monkeypatch.setattr(cli, '_renameat2', lambda: None)
    return request.param

@pytest.fixture
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path

def earlier(path, extra=(), mode=None):
    "A folder exactly like an earlier lab output, plus `extra` files."
    figures = ['data.png', 'lr-0.1/step-00.png', 'lr-0.1/final.png']
    for name in [*figures, 'history.csv', *extra]:
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(f'earlier {name}')
    (path / 'summary.json').write_text(json.dumps({'figures': figures}))
    if mode is not None: path.chmod(mode)
    return path

def staged(here, text='new'):
    "A finished staging folder with one file."
    path = here / f'.out.{os.urandom(2).hex()}.partial'
    path.mkdir(); (path / 'summary.json').write_text(text)
    return path

def tree(path):
    "Every file and folder below `path`, with file contents."
    return {p.relative_to(path).as_posix(): (p.read_text() if p.is_file() else None) for p in sorted(Path(path).rglob('*'))}

# ---------------------------------------------------------------- the rename that never replaces

@pytest.mark.parametrize('there', ['an empty folder', 'a full folder', 'a file', 'a symbolic link', 'a dangling link'])
def test_rename_new_never_replaces(here, renames, there):
    (here / 'src').mkdir(); (here / 'src' / 'f').write_text('new')
    dst = here / 'dst'
    if there == 'an empty folder': dst.mkdir()
    elif there == 'a full folder': dst.mkdir(); (dst / 'keep').write_text('x')
    elif there == 'a file': dst.write_text('x')
    elif there == 'a symbolic link': (here / 'elsewhere').mkdir(); dst.symlink_to('elsewhere')
    else: dst.symlink_to('nowhere')
    before = tree(here)
    with pytest.raises(FileExistsError): cli._rename_new(here / 'src', dst)
    assert tree(here) == before # os.rename would have replaced the empty folder

def test_rename_new_onto_nothing(here, renames):
    (here / 'src').mkdir(); (here / 'src' / 'f').write_text('new')
    cli._rename_new(here / 'src', here / 'dst')
    assert tree(here) == {'dst': None, 'dst/f': 'new'}

def test_fallback_when_the_claimed_name_is_filled_at_once(here, monkeypatch):
    "Without renameat2 the name is claimed with mkdir; a file put into the claim before the rename stays."
    monkeypatch.setattr(cli, '_renameat2', lambda: None)
    (here / 'src').mkdir()
    real_mkdir = os.mkdir
    def mkdir_then_fill(path, *a):
        real_mkdir(path, *a)
        if Path(path).name == 'dst': (Path(path) / 'theirs').write_text('x')
    monkeypatch.setattr(cli.os, 'mkdir', mkdir_then_fill)
    with pytest.raises(FileExistsError): cli._rename_new(here / 'src', here / 'dst')
    assert tree(here) == {'dst': None, 'dst/theirs': 'x', 'src': None}

# ---------------------------------------------------------------- what --force may replace

@pytest.mark.parametrize('what, named', [
    ('notes', 'notes.txt'), ('a folder', 'src/'), ('a link named like a figure', 'data.png'),
    ('an lr folder that is a link', 'lr-0.1'), ('a figure not in the list', 'lr-0.1/step-99.png'),
    ('a nested folder', 'lr-0.1/deeper/'),
])
def test_lab_files_refuses_what_no_lab_run_writes(here, what, named):
    out = earlier(here / 'out')
    if what == 'notes': (out / 'notes.txt').write_text('mine')
    elif what == 'a folder': (out / 'src').mkdir(); (out / 'src' / 'thesis.tex').write_text('mine')
    elif what == 'a link named like a figure': (out / 'data.png').unlink(); (out / 'data.png').symlink_to(here / 'thesis')
    elif what == 'an lr folder that is a link':
        (here / 'elsewhere').mkdir(); (here / 'elsewhere' / 'final.png').write_text('mine')
        for f in (out / 'lr-0.1').iterdir(): f.unlink()
        (out / 'lr-0.1').rmdir(); (out / 'lr-0.1').symlink_to(here / 'elsewhere')
    elif what == 'a figure not in the list': (out / 'lr-0.1' / 'step-99.png').write_text('mine')
    else: (out / 'lr-0.1' / 'deeper').mkdir()
    with pytest.raises(cli._NotLab, match='which no lab run wrote') as e: cli._lab_files(out)
    assert named.split('/')[0] in str(e.value)

def test_a_summary_that_is_a_pipe_does_not_block(here):
    (here / 'out').mkdir(); os.mkfifo(here / 'out' / 'summary.json')
    with pytest.raises(cli._NotLab, match='a summary.json that no lab run wrote'): cli._lab_files(here / 'out')

def test_names_outside_the_folder_in_the_summary_are_ignored(here):
    (here / 'outside.txt').write_text('keep')
    (here / 'out').mkdir(); (here / 'out' / 'summary.json').write_text(json.dumps({'figures': ['../outside.txt', '/etc/passwd']}))
    assert sorted(cli._lab_files(here / 'out')) == ['summary.json'] # not a licence for anything else

# ---------------------------------------------------------------- the commit, target by target

def test_default_name_moves_on_past_an_empty_folder(here, renames):
    target = cli._check_out(None, False, refuse)
    (here / 'linreg2p-lab').mkdir() # someone made it while the lab ran
    out, kept = cli._commit(staged(here), target)
    assert (out.name, kept) == ('linreg2p-lab-2', None) and list((here / 'linreg2p-lab').iterdir()) == []

def test_a_missing_target_that_appears_empty_is_left_alone(here, renames):
    target = cli._check_out('out', False, refuse)
    (here / 'out').mkdir()
    with pytest.raises(cli._Changed, match='out appeared while the lab ran'): cli._commit(staged(here), target)

def test_an_empty_target_filled_at_the_last_moment(here, renames, monkeypatch):
    "Filled between the commit's check and its rename: the rename fails, nothing is replaced."
    (here / 'out').mkdir()
    target = cli._check_out('out', False, refuse)
    real_rename = os.rename
    def fill_then_rename(src, dst):
        (Path(dst) / 'theirs.txt').write_text('x')
        real_rename(src, dst)
    monkeypatch.setattr(cli.os, 'rename', fill_then_rename)
    with pytest.raises(cli._Changed, match='out was empty when the lab started but is not now'):
        cli._commit(staged(here), target)
    assert tree(here / 'out') == {'theirs.txt': 'x'}

def test_an_empty_target_replaced_by_another_folder(here, renames):
    (here / 'out').mkdir()
    target = cli._check_out('out', False, refuse)
    (here / 'other').mkdir(); (here / 'out').rmdir(); (here / 'other').rename(here / 'out') # another folder, same name
    with pytest.raises(cli._Changed, match='replaced by something else'): cli._commit(staged(here), target)

def test_an_empty_target_removed_meanwhile_is_simply_created(here, renames):
    (here / 'out').mkdir()
    target = cli._check_out('out', False, refuse)
    (here / 'out').rmdir()
    assert cli._commit(staged(here), target) == (here / 'out', None)

def test_an_empty_private_target_keeps_its_mode(here, renames):
    (here / 'out').mkdir(); (here / 'out').chmod(0o700)
    target = cli._check_out('out', False, refuse)
    staging, made = cli._make_staging(target, refuse)
    assert stat.S_IMODE(staging.stat().st_mode) == 0o700 # private while it is written, too
    (staging / 'summary.json').write_text('new')
    cli._commit(staging, target)
    assert stat.S_IMODE((here / 'out').stat().st_mode) == 0o700 and tree(here) == {'out': None, 'out/summary.json': 'new'}

def test_force_removes_exactly_the_earlier_files(here, renames):
    out = earlier(here / 'out', mode=0o750)
    target = cli._check_out('out', True, refuse)
    assert cli._commit(staged(here), target) == (out, None)
    assert tree(here) == {'out': None, 'out/summary.json': 'new'} # no aside folder left
    assert stat.S_IMODE(out.stat().st_mode) == 0o750

def test_two_force_runs_on_one_earlier_output(here, renames):
    "The second run finds the first run's new output where the earlier one was: it is left alone."
    earlier(here / 'out')
    first, second = cli._check_out('out', True, refuse), cli._check_out('out', True, refuse)
    cli._commit(staged(here, 'first'), first)
    with pytest.raises(cli._Changed, match='out was replaced by something else'): cli._commit(staged(here, 'second'), second)
    assert (here / 'out' / 'summary.json').read_text() == 'first'

def test_force_with_notes_added_during_the_run(here, renames):
    out = earlier(here / 'out')
    target = cli._check_out('out', True, refuse)
    (out / 'notes.txt').write_text('mine')
    before = tree(out)
    with pytest.raises(cli._Changed, match=r'out changed while the lab ran \(it now holds notes.txt'): cli._commit(staged(here), target)
    assert tree(out) == before

def test_force_with_notes_added_at_the_last_moment(here, renames, monkeypatch):
    """A file that appears between the commit's last check and the swap is not removed: the new output is in
    place, the earlier lab files are gone, and the folder holding the newcomer is kept visibly as out.old."""
    out = earlier(here / 'out')
    target = cli._check_out('out', True, refuse)
    real = cli._rename2
    def add_then_rename(src, dst, flags):
        if flags == cli._RENAME_EXCHANGE: (out / 'late.txt').write_text('mine') # the last moment before the swap
        return real(src, dst, flags)
    monkeypatch.setattr(cli, '_rename2', add_then_rename)
    where, kept = cli._commit(staged(here), target)
    assert where == out and (out / 'summary.json').read_text() == 'new'
    assert kept == here / 'out.old' and tree(kept) == {'late.txt': 'mine'}
    assert sorted(p.name for p in here.iterdir()) == ['out', 'out.old']

def test_force_replaces_only_the_very_files_it_checked(here, renames, monkeypatch):
    "A lab file replaced by another file of the same name in the last moment is not removed either."
    out = earlier(here / 'out')
    target = cli._check_out('out', True, refuse)
    real = cli._rename2
    def replace_then_rename(src, dst, flags):
        if flags == cli._RENAME_EXCHANGE: (out / 'history.csv').unlink(); (out / 'history.csv').write_text('my edits')
        return real(src, dst, flags)
    monkeypatch.setattr(cli, '_rename2', replace_then_rename)
    where, kept = cli._commit(staged(here), target)
    assert tree(kept) == {'history.csv': 'my edits'}

def test_force_when_the_name_is_taken_between_the_two_renames(here, monkeypatch):
    "Without RENAME_EXCHANGE the earlier output is renamed aside first; a folder that takes the name then wins."
    monkeypatch.setattr(cli, '_renameat2', lambda: None)
    out = earlier(here / 'out')
    target = cli._check_out('out', True, refuse)
    real = cli._rename_new
    def take_then_rename(src, dst):
        if Path(dst) == out: out.mkdir(); (out / 'theirs').write_text('x')
        return real(src, dst)
    monkeypatch.setattr(cli, '_rename_new', take_then_rename)
    with pytest.raises(cli._Changed, match=r'out appeared again .* \(the earlier output is in \.out\.[0-9a-f]{8}\.old/\)'):
        cli._commit(staged(here), target)
    assert tree(out) == {'theirs': 'x'}
    [aside] = [p for p in here.iterdir() if p.name.endswith('.old')]
    assert tree(aside)['summary.json'] is not None # the earlier output, whole

# ---------------------------------------------------------------- names

def test_a_255_byte_name_has_room_for_staging_and_keeps_its_output(here, renames):
    name = 'é' * 127 + 'x' # 255 bytes in UTF-8: the longest legal name
    target = cli._check_out(name, False, refuse)
    staging, made = cli._make_staging(target, refuse)
    (here / name).mkdir() # appears: the output is kept, but name + '.new' is too long: the staging name stays
    assert cli._keep(staging, target.path) == staging

def test_the_output_inherits_a_set_group_id_folder(here):
    (here / 'shared').mkdir(); (here / 'shared').chmod(0o2775)
    staging, made = cli._make_staging(cli._check_out('shared/out', False, refuse), refuse)
    assert staging.stat().st_mode & stat.S_ISGID # files made in it keep the group, as in any new folder there

def test_messages_stay_on_one_line(here):
    assert cli._shown(here / 'a\nb\udcff') == 'a\\nb\\udcff'
    assert cli._shown('/elsewhere/x') == '/elsewhere/x'

def test_a_deleted_current_folder(tmp_path, monkeypatch):
    gone = tmp_path / 'gone'; gone.mkdir(); monkeypatch.chdir(gone); gone.rmdir()
    with pytest.raises(Refused, match='current folder no longer exists'): cli._check_out(None, False, refuse)
    with pytest.raises(Refused, match='is relative'): cli._check_out('out', False, refuse)
    assert cli._check_out(str(tmp_path / 'abs'), False, refuse).was == 'missing'

@pytest.mark.parametrize('name', ['surface.png', 'lr-0.1/final.png'])
def test_a_figure_saved_after_the_staging_folder_went_is_refused(tmp_path, name):
    "The worker's watcher removes the staging folder when the command is killed; a figure the lab draws meanwhile must not bring it back (nor its lr folder), or the parents made for it stay behind."
    import matplotlib
    matplotlib.use('Agg')
    from matplotlib.figure import Figure
    staging = tmp_path / 'new' / '.out.partial' # removed: only the parent made for it is left
    staging.parent.mkdir()
    with pytest.raises(FileNotFoundError): cli._save(Figure(figsize=(1, 1)), staging, name)
    assert os.listdir(tmp_path / 'new') == []

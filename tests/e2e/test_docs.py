"""The documentation a user reads stands on its own: every link in README.md and the module
READMEs and docs/ points inside the repository, at something that exists."""
import re
import subprocess
import urllib.parse

import harness

LINK = re.compile(r"\]\(([^)\s]+)\)")


def documents():
    listed = subprocess.run(["git", "ls-files", "*.md"], cwd=harness.ROOT, check=True,
                            capture_output=True, text=True).stdout.split()
    return [harness.ROOT / name for name in listed]


def test_every_link_stays_inside_the_repository():
    docs = documents()
    assert harness.ROOT / "README.md" in docs
    problems = []
    for doc in docs:
        for target in LINK.findall(doc.read_text()):
            url = urllib.parse.urlparse(target)
            if url.scheme or target.startswith("//"):
                problems.append(f"{doc.relative_to(harness.ROOT)}: {target} leaves the repository")
                continue
            if not url.path:
                continue  # an anchor on the same page
            path = (doc.parent / urllib.parse.unquote(url.path)).resolve()
            if not path.is_relative_to(harness.ROOT.resolve()):
                problems.append(f"{doc.relative_to(harness.ROOT)}: {target} leaves the repository")
            elif not path.exists():
                problems.append(f"{doc.relative_to(harness.ROOT)}: {target} does not exist")
    assert not problems, "\n".join(problems)


def test_no_state_directory_is_committed():
    listed = subprocess.run(["git", "ls-files"], cwd=harness.ROOT, check=True, capture_output=True,
                            text=True).stdout.split()
    rocksdb = [name for name in listed
               if re.search(r"(^|/)(CURRENT|IDENTITY|LOCK|LOG(\.old\.\d+)?|MANIFEST-\d+|OPTIONS-\d+|\d+\.(sst|log))$", name)]
    assert not rocksdb, f"RocksDB files are committed: {rocksdb}"

#!/usr/bin/env python3
"""Fidelity of SPoT's `uses` relations, by hand (not in CI).

For each local clone given, reads the manifests at HEAD twice: once through
SPoT (the collector's own mapping, `cargo run -p collectors --example uses`),
once with the plain readings below, written apart from SPoT's code with
Python's standard library only. Prints, per ecosystem, recall and precision
of SPoT's direct dependencies against the plain reading, and how often the
versions agree where a manifest or lockfile pins one.

    python3 docs/fidelity.py /srv/clones/repo-a /srv/clones/repo-b ...

Clones may be bare or `--no-checkout`: files are read with `git show`.
Set SPOT_USES to a built `uses` example to skip `cargo run`.

The plain readings follow docs/collectors/github.md's definition of a
direct dependency; each reading is deliberately simple (see the functions).
Findings are compared per (who uses, package): SPoT's `from` (a service or
the repository), and for the plain reading, the `from` SPoT gives the
deepest folder at or above the manifest, else the repository.
"""

import json
import os
import re
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from collections import defaultdict

SKIP = {"node_modules", "vendor", "third_party", "third-party", "testdata", "fixtures", "__fixtures__",
        "dist", ".venv", "venv", ".git", "site-packages", ".gradle", ".m2", "Pods", "bower_components"}


def git(clone, *args):
    return subprocess.run(["git", "-C", clone, *args], capture_output=True, text=True, check=True).stdout


def files_at_head(clone, wanted):
    paths = [p for p in git(clone, "ls-tree", "-r", "--name-only", "HEAD").splitlines()
             if wanted(p) and not (set(p.split("/")[:-1]) & SKIP)]
    out = {}
    for p in paths:
        try:
            out[p] = git(clone, "show", f"HEAD:{p}")
        except (subprocess.CalledProcessError, UnicodeDecodeError):
            pass
    return out


def folder(path):
    return path.rsplit("/", 1)[0] if "/" in path else ""


def name_of(path):
    return path.rsplit("/", 1)[-1]


def pypi(name):
    return re.sub(r"[-_.]+", "-", name.strip().lower())


# ------------------------------------------------------------ plain readings
# Each returns {(folder, ecosystem, package): version or None}.

def npm(files):
    found = {}
    locks = {}
    for path, text in files.items():
        if name_of(path) == "package-lock.json":
            try:
                lock = json.loads(text)
            except ValueError:
                continue
            versions = {}
            for key, entry in (lock.get("packages") or {}).items():
                if key.startswith("node_modules/") and "/node_modules/" not in key[len("node_modules/"):]:
                    versions[key[len("node_modules/"):]] = entry.get("version")
            for name, entry in (lock.get("dependencies") or {}).items():
                versions.setdefault(name, entry.get("version"))
            locks[folder(path)] = versions
    for path, text in files.items():
        if name_of(path) != "package.json":
            continue
        try:
            manifest = json.loads(text)
        except ValueError:
            continue
        here = folder(path)
        lock = next((locks[f] for f in ancestors(here) if f in locks), {})
        for section in ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies"):
            for name, spec in (manifest.get(section) or {}).items():
                version = lock.get(name) or (spec if re.fullmatch(r"\d+\.\d+\.\d+", str(spec)) else None)
                found[(here, "npm", name)] = version
    return found


def go(files):
    found = {}
    for path, text in files.items():
        if name_of(path) != "go.mod":
            continue
        block = False
        for line in text.splitlines():
            line = line.strip()
            if line.startswith("require ("):
                block = True
                continue
            if block and line == ")":
                block = False
                continue
            if line.startswith("require ") or block:
                body = line[len("require "):] if line.startswith("require ") else line
                if "// indirect" in body or not body or body.startswith("//"):
                    continue
                parts = body.split()
                if len(parts) >= 2:
                    found[(folder(path), "go", parts[0])] = parts[1]
    return found


def python(files):
    found = {}
    by_folder = defaultdict(dict)
    for path, text in files.items():
        by_folder[folder(path)][name_of(path)] = text
    for here, names in by_folder.items():
        pins = {}
        for name, text in names.items():
            if name.endswith(".txt") and "requirements" in name:
                for line in text.splitlines():
                    m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*==\s*([^\s;\\#]+)", line)
                    if m:
                        pins[pypi(m.group(1))] = m.group(3)
            if name in ("poetry.lock", "uv.lock"):
                for package in tomllib.loads(text).get("package", []):
                    pins.setdefault(pypi(package["name"]), package.get("version"))
            if name == "Pipfile.lock":
                lock = json.loads(text)
                for section in ("default", "develop"):
                    for package, entry in lock.get(section, {}).items():
                        if str(entry.get("version", "")).startswith("=="):
                            pins.setdefault(pypi(package), entry["version"][2:])
        declared = set()
        inputs = {n[:-3] for n in names if n.endswith(".in") and "requirements" in n}
        for name, text in names.items():
            if "requirements" in name and name.endswith(".in"):
                declared |= requirement_names(text)
            elif "requirements" in name and name.endswith(".txt") and name[:-4] not in inputs:
                declared |= requirement_names(text, compiled="# via" in text)
        for name, text in names.items():
            if name == "pyproject.toml":
                declared |= pyproject_names(tomllib.loads(text))
            if name == "Pipfile":
                doc = tomllib.loads(text)
                declared |= {pypi(n) for s in ("packages", "dev-packages") for n in doc.get(s, {})}
        for package in declared:
            found[(here, "pypi", package)] = pins.get(package)
    return found


def requirement_names(text, compiled=False):
    names, last, via = set(), None, []
    lines = text.splitlines()
    entries = []
    for line in lines:
        stripped = line.strip()
        m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)", stripped)
        if m and not line.startswith((" ", "\t")):
            last = pypi(m.group(1))
            entries.append([last, []])
            if "# via " in line:
                entries[-1][1].append(line.split("# via ", 1)[1].strip())
        elif stripped.startswith("#") and entries and line.startswith((" ", "\t")):
            entry = stripped.lstrip("#").strip()
            if entry.startswith("via "):
                entries[-1][1].append(entry[4:].strip())
            elif entry != "via":
                entries[-1][1].append(entry)
    for name, vias in entries:
        if not compiled or not vias or any(v.startswith("-r ") or v.endswith(")") for v in vias):
            names.add(name)
    return names


def pyproject_names(doc):
    names = set()
    project = doc.get("project", {})
    reqs = list(project.get("dependencies", []))
    for group in project.get("optional-dependencies", {}).values():
        reqs += group
    for group in doc.get("dependency-groups", {}).values():
        reqs += [r for r in group if isinstance(r, str)]
    reqs += doc.get("build-system", {}).get("requires", [])
    for r in reqs:
        m = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)", r)
        if m:
            names.add(pypi(m.group(1)))
    poetry = doc.get("tool", {}).get("poetry", {})
    sections = [poetry.get("dependencies", {}), poetry.get("dev-dependencies", {})]
    sections += [g.get("dependencies", {}) for g in poetry.get("group", {}).values()]
    for section in sections:
        names |= {pypi(n) for n in section if n != "python"}
    return names


def maven(files):
    found = {}
    for path, text in files.items():
        if name_of(path) != "pom.xml":
            continue
        root = ET.fromstring(text)
        ns = {"m": root.tag[1:].split("}")[0]} if root.tag.startswith("{") else {}
        q = (lambda tag: "/".join(f"m:{t}" for t in tag.split("/"))) if ns else (lambda tag: tag)
        props = {}
        for p in root.findall(q("properties") + "/*", ns):
            props[p.tag.split("}")[-1]] = (p.text or "").strip()
        props["project.version"] = (root.findtext(q("version"), namespaces=ns) or
                                    root.findtext(q("parent/version"), namespaces=ns) or "")
        fill = lambda s: re.sub(r"\$\{([^}]+)\}", lambda m: props.get(m.group(1), m.group(0)), s or "")
        managed = {}
        for d in root.findall(q("dependencyManagement/dependencies/dependency"), ns):
            managed[(d.findtext(q("groupId"), namespaces=ns), d.findtext(q("artifactId"), namespaces=ns))] = \
                d.findtext(q("version"), namespaces=ns)
        for d in root.findall(q("dependencies/dependency"), ns):
            g, a = d.findtext(q("groupId"), namespaces=ns), d.findtext(q("artifactId"), namespaces=ns)
            if d.findtext(q("scope"), namespaces=ns) == "import":
                continue
            v = fill(d.findtext(q("version"), namespaces=ns) or managed.get((g, a)))
            found[(folder(path), "maven", f"{fill(g)}:{fill(a)}")] = v if v and "$" not in v and "[" not in v else None
        for p in root.findall(q("build/plugins/plugin"), ns):
            g = p.findtext(q("groupId"), namespaces=ns) or "org.apache.maven.plugins"
            a = p.findtext(q("artifactId"), namespaces=ns)
            v = fill(p.findtext(q("version"), namespaces=ns))
            found[(folder(path), "maven", f"{fill(g)}:{fill(a)}")] = v if v and "$" not in v else None
    return found


def gradle(files):
    found = {}
    catalogs = {folder(folder(p)): p for p in files if p.endswith("gradle/libs.versions.toml")}
    for path, text in files.items():
        if name_of(path) not in ("build.gradle", "build.gradle.kts"):
            continue
        here = folder(path)
        cat, bundles = {}, {}
        root = next((f for f in ancestors(here) if f in catalogs), None)
        if root is not None:
            cat, bundles = read_catalog(tomllib.loads(files[catalogs[root]]))
        props = {}
        for f in reversed(ancestors(here)):
            for line in files.get((f + "/" if f else "") + "gradle.properties", "").splitlines():
                if "=" in line and not line.lstrip().startswith("#"):
                    k, v = line.split("=", 1)
                    props[k.strip()] = v.strip()
        code = re.sub(r"//[^\n]*", "", text)
        for m in re.finditer(r"(?:\b(?:def|val|var)\s+|ext\.|^\s*)(\w+)\s*=\s*[\"']([^\"'$]+)[\"']", code, re.M):
            props[m.group(1)] = m.group(2)
        fill = lambda s: re.sub(r"\$\{?(\w+)\}?", lambda m: props.get(m.group(1), m.group(0)), s)
        for m in re.finditer(r"\bdependencies\s*\{", code):
            depth, i = 1, m.end()
            while i < len(code) and depth:
                depth += {"{": 1, "}": -1}.get(code[i], 0)
                i += 1
            block = re.sub(r"\bconstraints\s*\{[^}]*\}", "", code[m.end():i])
            for s in re.findall(r"[\"']([^\"'\s]+)[\"']", block):
                parts = fill(s).split(":")
                if len(parts) >= 2 and parts[0] and parts[1] and "/" not in parts[0]:
                    version = parts[2] if len(parts) > 2 and parts[2] and "$" not in parts[2] else None
                    found.setdefault((here, "maven", f"{parts[0]}:{parts[1]}"), version)
            for module in re.findall(r"\bkotlin\(\s*\"([\w.-]+)\"", block):
                found.setdefault((here, "maven", f"org.jetbrains.kotlin:kotlin-{module}"), None)
            for a in re.findall(r"\blibs\.([\w.]+)", block):
                a = re.sub(r"\.(get|asProvider)$", "", a)
                if a.startswith(("plugins.", "versions.")):
                    continue
                for x in (bundles.get(a[8:], []) if a.startswith("bundles.") else [a]):
                    if x in cat:
                        found.setdefault((here, "maven", cat[x][0]), cat[x][1])
    return found


def read_catalog(doc):
    norm = lambda a: re.sub(r"[-_]", ".", a)
    rich = lambda v: v if isinstance(v, str) else (v.get("strictly") or v.get("require") or v.get("prefer"))
    versions = {norm(k): rich(v) for k, v in doc.get("versions", {}).items()}
    cat = {}
    for alias, v in doc.get("libraries", {}).items():
        if isinstance(v, str):
            g, n, *rest = v.split(":")
            cat[norm(alias)] = (f"{g}:{n}", rest[0] if rest else None)
            continue
        module = v.get("module") or f"{v['group']}:{v['name']}"
        version = v.get("version")
        if isinstance(version, dict):
            version = versions.get(norm(version["ref"])) if "ref" in version else rich(version)
        cat[norm(alias)] = (module, version)
    bundles = {norm(k): [norm(x) for x in v] for k, v in doc.get("bundles", {}).items()}
    return cat, bundles


def nuget(files):
    found = {}
    central = {}
    for path, text in files.items():
        if name_of(path) == "Directory.Packages.props":
            for e in ET.fromstring(text).iter():
                if e.tag.split("}")[-1] == "PackageVersion" and e.get("Include"):
                    central[(folder(path), e.get("Include").lower())] = e.get("Version")
    for path, text in files.items():
        here = folder(path)
        if path.endswith((".csproj", ".fsproj", ".vbproj")):
            for e in ET.fromstring(text.lstrip("\ufeff")).iter():
                if e.tag.split("}")[-1] == "PackageReference" and e.get("Include"):
                    name = e.get("Include")
                    version = e.get("Version") or next((c.text for c in e if c.tag.split("}")[-1] == "Version"), None)
                    if version is None:
                        version = next((central[(f, name.lower())] for f in ancestors(here)
                                        if (f, name.lower()) in central), None)
                    exact = version if version and not re.search(r"[\[\(,*$]", version) else None
                    found[(here, "nuget", name)] = exact
        elif name_of(path) == "packages.config":
            for e in ET.fromstring(text.lstrip("\ufeff")).iter("package"):
                found[(here, "nuget", e.get("id"))] = e.get("version")
    return found


def cargo(files):
    found = {}
    locks = {folder(p): tomllib.loads(t).get("package", []) for p, t in files.items() if name_of(p) == "Cargo.lock"}
    for path, text in files.items():
        if name_of(path) != "Cargo.toml":
            continue
        doc = tomllib.loads(text)
        here = folder(path)
        lock = next((locks[f] for f in ancestors(here) if f in locks), [])
        tables = [doc.get(k, {}) for k in ("dependencies", "dev-dependencies", "build-dependencies")]
        for target in doc.get("target", {}).values():
            tables += [target.get(k, {}) for k in ("dependencies", "dev-dependencies", "build-dependencies")]
        for table in tables:
            for key, spec in table.items():
                name = spec.get("package", key) if isinstance(spec, dict) else key
                versions = sorted({p["version"] for p in lock if p["name"] == name and "source" in p})
                found[(here, "cargo", name)] = versions[0] if len(versions) == 1 else None
    return found


def ancestors(path):
    out = [path]
    while path:
        path = folder(path)
        out.append(path)
    return out


READERS = [npm, go, python, maven, gradle, nuget, cargo]
CHECKED = {"npm", "go", "pypi", "maven", "nuget", "cargo"}
WANTED = re.compile(r"(^|/)(package\.json|package-lock\.json|go\.mod|requirements[^/]*\.(txt|in)|pyproject\.toml|"
                    r"Pipfile(\.lock)?|poetry\.lock|uv\.lock|pom\.xml|build\.gradle(\.kts)?|libs\.versions\.toml|"
                    r"gradle\.properties|[^/]+\.(cs|fs|vb)proj|packages\.config|Directory\.Packages\.props|"
                    r"Cargo\.(toml|lock))$")


# ------------------------------------------------------------ SPoT's reading

def spot_uses(clone):
    command = [os.environ["SPOT_USES"]] if os.environ.get("SPOT_USES") else \
        ["cargo", "run", "-q", "-p", "collectors", "--example", "uses", "--"]
    out = subprocess.run(command + [clone], capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        frm, package, _spec, resolved, _scope, manifest = line.split("\t")
        ecosystem, name = package[len("package:"):].split("/", 1)
        frm = "repo" if frm.startswith("repo:") else frm
        rows.append((frm, ecosystem, name, None if resolved == "-" else resolved, manifest))
    return rows


def key(ecosystem, name):
    return pypi(name) if ecosystem == "pypi" else (name.lower() if ecosystem == "nuget" else name)


def compare(clone, totals):
    spot = spot_uses(clone)
    owner = {folder(manifest): frm for frm, _, _, _, manifest in spot}
    files = files_at_head(clone, lambda p: WANTED.search(p) is not None)
    plain = {}
    for reader in READERS:
        for (here, ecosystem, name), version in reader(files).items():
            frm = next((owner[f] for f in ancestors(here) if f in owner), "repo")
            plain.setdefault((frm, ecosystem, key(ecosystem, name)), version)
    theirs = {(frm, e, key(e, n)): v for frm, e, n, v, _ in spot}
    for k in set(plain) | set(theirs):
        t = totals[k[1]]
        t["spot"] += k in theirs
        t["plain"] += k in plain
        t["both"] += k in theirs and k in plain
        if k in theirs and k in plain and plain[k]:
            t["pinned"] += 1
            t["agree"] += theirs[k] == plain[k]
        if k in theirs and k not in plain:
            t["extra"].append(f"{name_of(clone)} {k}")
        if k in plain and k not in theirs:
            t["missed"].append(f"{name_of(clone)} {k}")
        if k in theirs and k in plain and plain[k] and theirs[k] != plain[k]:
            t["differ"].append(f"{name_of(clone)} {k}: SPoT {theirs[k]}, plain {plain[k]}")


def main():
    totals = defaultdict(lambda: {"spot": 0, "plain": 0, "both": 0, "pinned": 0, "agree": 0,
                                  "extra": [], "missed": [], "differ": []})
    for clone in sys.argv[1:]:
        compare(clone.rstrip("/"), totals)
    print("| ecosystem | SPoT | plain | both | recall | precision | versions pinned | agreeing |")
    print("|---|---|---|---|---|---|---|---|")
    for ecosystem, t in sorted(totals.items()):
        if ecosystem not in CHECKED:
            print(f"| {ecosystem} | {t['spot']} | (no plain reading) | | | | | |")
            continue
        recall = t["both"] / t["plain"] if t["plain"] else 1.0
        precision = t["both"] / t["spot"] if t["spot"] else 1.0
        agree = t["agree"] / t["pinned"] if t["pinned"] else 1.0
        print(f"| {ecosystem} | {t['spot']} | {t['plain']} | {t['both']} | {recall:.3f} | {precision:.3f} "
              f"| {t['pinned']} | {agree:.3f} |")
    for ecosystem, t in sorted(totals.items()):
        for label in ("missed", "extra", "differ") if ecosystem in CHECKED else ():
            for line in sorted(t[label]):
                print(f"{ecosystem} {label}: {line}", file=sys.stderr)


if __name__ == "__main__":
    main()

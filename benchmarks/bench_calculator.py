"""The site's calculators: how much code a clause page of the largest policy loads, and how fast a result follows
an input in mobile-emulated Chromium.

Run: .venv/bin/python benchmarks/bench_calculator.py [--inputs N]
Builds the site for the bundled policies, serves it on 127.0.0.1, opens the Yantai page at phone size with
the CPU slowed 4× (Chrome's own emulation of a mid-range phone), types an amount into the 创新药研发
calculator N times and measures, inside the page, from the input event to the result's update. As a
baseline in the same run it times the same clause evaluated by the same evaluator without the form.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pol.compiler.cli import main  # noqa: E402

PROBE = """async ([n]) => {
  const calc = document.querySelector('.pol-calculator[data-clause="创新药研发"]');
  const [cost] = [...calc.querySelectorAll('input')].filter(i => i.name === '临床研发费用');
  calc.querySelector('select[name="新药类别"]').value = '一类新药';
  calc.querySelector('select[name="临床阶段"]').value = 'III期';
  const result = calc.querySelector('.pol-result');
  const times = [];
  for (let i = 0; i < n; i++) {
    const changed = new Promise(resolve => new MutationObserver((_, o) => { o.disconnect(); resolve(); })
      .observe(result, {childList: true, subtree: true}));
    const t0 = performance.now();
    cost.value = `${1000 + i}万`;
    cost.dispatchEvent(new Event('input', {bubbles: true}));
    await changed;
    times.push(performance.now() - t0);
  }
  const mod = await import(new URL('../../js/policies/yantai.mjs', location.href).href);
  const base = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    mod.evaluate({新药类别: '一类新药', 临床阶段: 'III期', 临床研发费用: `${1000 + i}万`}, {clauses: ['创新药研发']});
    base.push(performance.now() - t0);
  }
  return [times, base];
}"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def main_() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--inputs", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "site"
        assert main(["docs", str(ROOT / "policies"), "--out", str(project), "--as-of", "2026-11-22"]) == 0
        subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(project / "mkdocs.yml")], check=True)
        site = project / "site"
        js = site / "js"
        files = [js / "pol_runtime.mjs", js / "decimal.mjs", js / "calculator.mjs", js / "policies" / "yantai.mjs"]
        size = sum(len(gzip.compress(f.read_bytes(), 9)) for f in files)
        print(
            f"calculator code for the largest policy (yantai): {size / 1024:.1f} KB gzipped "
            f"({', '.join(f'{f.name} {len(gzip.compress(f.read_bytes(), 9)) / 1024:.1f}' for f in files)})"
        )
        handler = functools.partial(_Quiet, directory=str(site))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                ],
            )
            page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
            cdp = page.context.new_cdp_session(page)
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/policies/yantai/")
            page.locator('.pol-calculator[data-clause="创新药研发"] .pol-form').wait_for()
            times, base = page.evaluate(PROBE, [args.inputs])
            browser.close()
        server.shutdown()
    for name, xs in (("input to result (form, evaluation, rendering)", times), ("evaluation alone", base)):
        xs = sorted(xs)
        print(
            f"{name}: median {statistics.median(xs):.2f} ms, p95 {xs[int(len(xs) * 0.95) - 1]:.2f} ms, "
            f"max {xs[-1]:.2f} ms over {len(xs)} inputs (CPU slowed 4×)"
        )


if __name__ == "__main__":
    main_()

"""Drives Debian's headless Chromium through the worker's console, over the DevTools protocol.

    console_check.py BASE_URL TOKEN SCREENSHOT.png

BASE_URL is the admin listener (http://127.0.0.1:PORT). Prints one JSON object of what the rendered
pages showed, for the Swift test to assert on: the page without the token, the tenants and
partitions tables, a job's events, the dead-letter rows and the redrive's dry run and result.
Every wait polls the DOM until a deadline; nothing waits a fixed time.
"""

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("console_check: no chromium on PATH (make deps installs Debian's)")


class Page:
    def __init__(self, socket):
        self.socket = socket
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, what, expression, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise RuntimeError(f"timed out waiting for {what}; page: {self.evaluate('document.body.innerText')[:2000]}")
            time.sleep(0.1)

    def open(self, url):
        self.call("Page.navigate", url=url)
        self.wait_for(f"{url} to load", "document.readyState === 'complete' && location.href !== 'about:blank'")


def main():
    base, token, screenshot = sys.argv[1], sys.argv[2], sys.argv[3]
    profile = tempfile.mkdtemp(prefix="faxd-chromium-")
    browser = subprocess.Popen(
        [chromium(), "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--remote-debugging-port=0",
         f"--user-data-dir={profile}", "--window-size=1400,1000", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        port_file = os.path.join(profile, "DevToolsActivePort")
        deadline = time.monotonic() + 60
        while not os.path.exists(port_file) or os.path.getsize(port_file) == 0:
            if time.monotonic() > deadline or browser.poll() is not None:
                sys.exit("console_check: chromium did not open its DevTools port")
            time.sleep(0.1)
        port = open(port_file).read().split()[0]
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
        target = next(t for t in targets if t["type"] == "page")
        page = Page(websocket.create_connection(target["webSocketDebuggerUrl"], timeout=60))
        page.call("Page.enable")
        page.call("Runtime.enable")
        seen = {}

        # Without the token: refused, and nothing of the console rendered.
        page.open(base + "/console")
        seen["refused_text"] = page.evaluate("document.body.innerText")
        seen["refused_has_tables"] = page.evaluate("document.querySelectorAll('table').length > 0")
        page.open(base + "/console?token=wrong-" + token)
        seen["wrong_token_text"] = page.evaluate("document.body.innerText")

        # With it: the cookie, the page, and the state the event stream renders.
        page.open(base + "/console?token=" + token)
        seen["address_after_login"] = page.evaluate("location.href")
        page.wait_for("two tenants with submissions", "[...document.querySelectorAll('#tenants tbody tr')]"
                      ".filter(r => Number(r.cells[2].textContent) > 0).length >= 2")
        seen["tenants"] = page.evaluate("[...document.querySelectorAll('#tenants tbody tr')].map(r => [...r.cells].map(c => c.textContent))")
        seen["partitions"] = page.evaluate("document.querySelectorAll('#partitions tbody tr').length")
        seen["header"] = page.evaluate("document.getElementById('worker').textContent")

        # A job's events.
        page.evaluate("""(() => { const f = document.getElementById('lookup');
            f.tenant.value = 'acme'; f.job.value = 'sample-1'; f.requestSubmit(); })()""")
        page.wait_for("the job's events", "document.querySelectorAll('#job .event').length >= 2")
        seen["job_events"] = page.evaluate("[...document.querySelectorAll('#job .event')].map(e => e.textContent)")

        # The dead letters, a redrive's dry run, then the redrive.
        page.evaluate("document.getElementById('load-dead-letters').click()")
        page.wait_for("the dead-letter rows", "document.querySelectorAll('#dead-letters tbody tr button').length > 0")
        seen["dead_letters"] = page.evaluate("[...document.querySelectorAll('#dead-letters tbody tr')].map(r => [...r.cells].map(c => c.textContent))")
        page.evaluate("""(() => { const row = [...document.querySelectorAll('#dead-letters tbody tr')]
            .find(r => r.cells[1].textContent === 'insufficient_balance'); row.querySelector('button').click(); })()""")
        page.wait_for("the dry run", "document.getElementById('confirm-redrive') !== null")
        seen["dry_run"] = page.evaluate("document.getElementById('redrive').textContent")
        shot = page.call("Page.captureScreenshot", format="png")
        with open(screenshot, "wb") as out:
            out.write(base64.b64decode(shot["data"]))
        page.evaluate("document.getElementById('confirm-redrive').click()")
        page.wait_for("the redrive's result", "document.getElementById('redrive').textContent.startsWith('Re-published')")
        seen["redrive"] = page.evaluate("document.getElementById('redrive').textContent")
        print(json.dumps(seen))
    finally:
        browser.terminate()
        try:
            browser.wait(timeout=10)
        except subprocess.TimeoutExpired:
            browser.kill()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()

/// The console's one page: plain HTML, a stylesheet and a small script, no build step. The script
/// reads `/console/events` (the worker's state each second), looks jobs up with `/console/api/job`
/// and shows the dead-letter topic with `/console/api/dead-letters`, whose redrive runs as a dry run
/// first and re-publishes only when confirmed. Every value is set as text, never as markup.
enum ConsolePage {
    static let html = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>faxd console</title>
        <style>
          body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1d2330; }
          header { background: #1d2330; color: #fff; padding: 10px 20px; display: flex; gap: 24px; align-items: baseline; }
          header h1 { font-size: 18px; margin: 0; }
          header span { opacity: .8; }
          main { padding: 12px 20px; display: grid; grid-template-columns: minmax(0, 2fr) minmax(0, 3fr); gap: 16px; align-items: start; }
          section { background: #fff; border: 1px solid #dde1e7; border-radius: 6px; padding: 10px 14px; overflow-x: auto; }
          section.wide { grid-column: 1 / -1; }
          h2 { font-size: 15px; margin: 4px 0 8px; }
          table { border-collapse: collapse; width: 100%; }
          th, td { text-align: right; padding: 3px 8px; border-bottom: 1px solid #eef0f3; white-space: nowrap; }
          th:first-child, td:first-child { text-align: left; }
          th { font-weight: 600; color: #556; }
          .bad { color: #b3261e; font-weight: 600; }
          .warn { color: #9a6700; font-weight: 600; }
          .muted { color: #889; }
          form { display: flex; gap: 8px; margin-bottom: 8px; }
          input { padding: 3px 6px; }
          button { padding: 3px 10px; cursor: pointer; }
          pre { background: #f6f7f9; padding: 6px; margin: 4px 0; white-space: pre-wrap; font-size: 12px; }
          summary { cursor: pointer; }
          #redrive { margin-top: 8px; }
        </style>
        </head>
        <body>
        <header><h1>faxd console</h1><span id="worker">connecting…</span><span id="updated"></span></header>
        <main>
          <section class="wide">
            <h2>Tenants</h2>
            <table id="tenants"><thead><tr><th>tenant</th><th>submitted/min</th><th>submitted (5 min)</th><th>in flight</th><th>queued</th><th>retrying</th>
              <th>oldest queued</th><th>throttled</th><th>circuit</th><th>failing (5 min)</th></tr></thead><tbody></tbody></table>
          </section>
          <section>
            <h2>Partitions</h2>
            <table id="partitions"><thead><tr><th>partition</th><th>lag</th><th>unfinished</th><th>oldest unfinished</th></tr></thead><tbody></tbody></table>
          </section>
          <section>
            <h2>Dead letters</h2>
            <button id="load-dead-letters">Read the dead-letter topic</button>
            <table id="dead-letters"><thead><tr><th>tenant</th><th>error code</th><th>dead letters</th><th></th></tr></thead><tbody></tbody></table>
            <div id="redrive"></div>
          </section>
          <section class="wide">
            <h2>A job's events</h2>
            <form id="lookup"><input name="tenant" placeholder="tenant" required><input name="job" placeholder="job id" required><button>Look up</button></form>
            <div id="job" class="muted">Status and usage events of the last 24 hours.</div>
          </section>
        </main>
        <script>
        "use strict";
        const $ = (id) => document.getElementById(id);
        function cell(row, value, cls) {
          const td = row.insertCell();
          td.textContent = value;
          if (cls) td.className = cls;
          return td;
        }
        function seconds(value) { return value == null ? "–" : value.toFixed(1) + " s"; }
        function render(state) {
          $("worker").textContent = "group " + state.group + " · " + state.topic + " · " + (state.ready ? "ready" : "not ready");
          $("updated").textContent = "updated " + state.generated_at;
          const tenants = $("tenants").tBodies[0];
          tenants.replaceChildren();
          for (const t of state.tenants) {
            const row = tenants.insertRow();
            row.dataset.tenant = t.tenant;
            cell(row, t.tenant);
            cell(row, t.submitted_last_minute);
            cell(row, t.submitted);
            cell(row, t.in_flight);
            cell(row, t.queued);
            cell(row, t.retrying);
            cell(row, seconds(t.oldest_queued_seconds));
            cell(row, t.throttled ? "throttled" : "–", t.throttled ? "warn" : "muted");
            cell(row, t.circuit_open ? "open" : "closed", t.circuit_open ? "bad" : "muted");
            const failing = cell(row, t.failing, t.failing > 0 ? "bad" : "");
            failing.title = "rejected " + t.rejected + ", dead-lettered " + t.dead_lettered + ", expired " + t.expired + ", attempts retried " + t.retried;
          }
          const partitions = $("partitions").tBodies[0];
          partitions.replaceChildren();
          for (const p of state.partitions) {
            const row = partitions.insertRow();
            cell(row, p.partition);
            cell(row, p.lag, p.lag > 0 ? "warn" : "");
            cell(row, p.unfinished);
            cell(row, seconds(p.oldest_unfinished_seconds));
          }
        }
        async function refresh() {
          const answer = await fetch("/console/api/state");
          if (answer.ok) render(await answer.json());
        }
        refresh();
        const events = new EventSource("/console/events");
        events.onmessage = (message) => render(JSON.parse(message.data));

        $("lookup").addEventListener("submit", async (event) => {
          event.preventDefault();
          const form = new FormData(event.target);
          const target = $("job");
          target.replaceChildren();
          target.className = "";
          const query = new URLSearchParams({ tenant: form.get("tenant"), job: form.get("job") });
          const answer = await fetch("/console/api/job?" + query);
          if (!answer.ok) { target.textContent = await answer.text(); target.className = "bad"; return; }
          const found = await answer.json();
          if (found.events.length === 0) { target.textContent = "No events of " + found.tenant + "/" + found.job + " in the last 24 hours."; target.className = "muted"; return; }
          for (const e of found.events) {
            const details = document.createElement("details");
            const line = document.createElement("summary");
            line.className = "event";
            line.textContent = (e.event && e.event.type ? e.event.type : "?") + " · " + e.topic + " " + e.partition + "/" + e.offset
              + (e.timestamp ? " · " + new Date(e.timestamp).toISOString() : "");
            const body = document.createElement("pre");
            body.textContent = JSON.stringify(e.event, null, 1);
            details.append(line, body);
            target.append(details);
          }
        });

        async function redrive(tenant, code, confirm) {
          const target = $("redrive");
          target.className = "";
          target.textContent = confirm ? "re-publishing…" : "dry run…";
          const answer = await fetch("/console/api/redrive", {
            method: "POST", headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ tenant: tenant, error_code: code, confirm: confirm }),
          });
          const result = await answer.json().catch(() => null);
          target.replaceChildren();
          if (!answer.ok || result == null) { target.textContent = "redrive failed" + (result && result.stopped ? ": " + result.stopped : ""); target.className = "bad"; return; }
          if (!confirm) {
            const text = document.createElement("span");
            text.textContent = "Dry run: " + result.selected + " dead letters of " + tenant + " (" + code + ") would go back to the jobs topic, same job ids and idempotency keys. ";
            const go = document.createElement("button");
            go.id = "confirm-redrive";
            go.textContent = "Re-publish " + result.selected;
            go.onclick = () => redrive(tenant, code, true);
            target.append(text, go);
          } else {
            target.textContent = "Re-published " + result.published + " of " + result.selected + " dead letters of " + tenant + " (" + code + ").";
          }
        }

        $("load-dead-letters").addEventListener("click", async () => {
          const body = $("dead-letters").tBodies[0];
          body.replaceChildren();
          const answer = await fetch("/console/api/dead-letters");
          const result = await answer.json().catch(() => null);
          if (!answer.ok || result == null) { $("redrive").textContent = "cannot read the dead-letter topic"; $("redrive").className = "bad"; return; }
          for (const r of result.rows) {
            const row = body.insertRow();
            cell(row, r.tenant);
            cell(row, r.error_code, r.rejected ? "muted" : "");
            cell(row, r.count);
            const action = row.insertCell();
            if (r.rejected) { action.textContent = "rejected"; action.title = "sent again unchanged, it would be rejected again"; action.className = "muted"; continue; }
            const button = document.createElement("button");
            button.textContent = "Redrive…";
            button.onclick = () => redrive(r.tenant, r.error_code, false);
            action.append(button);
          }
          if (result.rows.length === 0) { const row = body.insertRow(); cell(row, "none", "muted"); }
        });
        </script>
        </body>
        </html>
        """#
}

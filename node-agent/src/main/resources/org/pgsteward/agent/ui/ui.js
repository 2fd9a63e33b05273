// The web status page of a pgsteward agent: reads /ui/data/* (the console's cluster view and events, the lag history,
// this agent's status) every monitor interval and renders them. Read-only: it sends nothing but GETs.
(function () {
  'use strict';

  var interval = 1000;          // replaced by the agent's monitor interval once known
  var status = null, view = null, lag = null;
  var charts = {};              // node id -> uPlot
  var lastOk = {};              // endpoint -> Date of its last answer

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function byId(id) { return document.getElementById(id); }
  function setText(id, text) { byId(id).textContent = text; }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); }

  function fmtBytes(b) {
    if (b === null || b === undefined) return '';
    var units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'], i = 0, v = b;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return (i === 0 ? v : v.toFixed(1)) + ' ' + units[i];
  }
  function fmtTime(iso) {
    var d = new Date(iso);
    return isNaN(d) ? String(iso) : d.toLocaleString();
  }
  function ago(iso) {
    var s = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
    return isNaN(s) ? '' : (s <= 0 ? 'now' : s + ' s ago');
  }
  function nodeName(id) {
    if (!view) return 'node ' + id;
    for (var i = 0; i < view.nodes.length; i++) if (view.nodes[i].id === id) return view.nodes[i].name;
    return 'node ' + id;
  }
  function isDown(n) { return !/^running/.test(n.status); }
  function isSync(n) { return !!status && status.synchronousSet.indexOf(n.name) >= 0; }

  // ---------------------------------------------------------------- polling: one loop per endpoint, never overlapping

  function poll(path, onData) {
    var ctrl = new AbortController();
    var timer = setTimeout(function () { ctrl.abort(); }, Math.max(10000, 5 * interval));
    fetch('/ui/data/' + path, { signal: ctrl.signal, credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) {
        if (r.status === 401) throw new Error('not signed in any more: open /ui?token=TOKEN again');
        if (!r.ok) return r.text().then(function (t) { throw new Error(r.status + ' ' + t); });
        return r.json();
      })
      .then(function (data) { lastOk[path] = new Date(); onData(data); connection(path, null); })
      .catch(function (e) { connection(path, e.name === 'AbortError' ? 'no answer in time' : e.message); })
      .finally(function () {
        clearTimeout(timer);
        setTimeout(function () { poll(path, onData); }, interval);
      });
  }

  var problems = {};             // endpoint -> why its last request failed

  function connection(path, problem) {
    if (problem) problems[path] = problem; else delete problems[path];
    var c = byId('connection');
    var keys = Object.keys(problems);
    if (keys.length) {
      c.className = 'bad';
      c.textContent = 'this agent does not answer: ' + keys.map(function (k) { return k + ': ' + problems[k]; }).join('; ');
    } else {
      c.className = 'ok';
      c.textContent = 'live, every ' + interval + ' ms';
    }
  }

  // ---------------------------------------------------------------- status, cluster view

  function onStatus(s) {
    status = s;
    interval = Math.max(1000, s.monitorIntervalMillis);
    setText('agent-name', s.nodeName + ' (id ' + s.nodeId + ')');
    setText('mode', s.failoverMode + ' (timeout ' + s.failoverTimeoutMillis + ' ms)');
    setText('sync', s.synchronousReplication
      ? 'synchronous (set: ' + (s.synchronousSet.length ? s.synchronousSet.join(', ') : 'none') + ')' : 'asynchronous');
    setText('supervisor', s.supervisorAddress ? s.supervisorAddress
      + (s.supervisorAddress === s.clusterAddress ? ' (this agent)' : '') : 'none (no Up member)');
    renderSummary();
  }

  function onCluster(v) {
    view = v;
    setText('cluster-name', v.cluster);
    renderSummary();
    renderWarnings();
    renderTable();
    renderTopology();
    renderMembers();
    setText('cluster-age', 'probed ' + new Date().toLocaleTimeString());
  }

  function renderSummary() {
    if (!view) return;
    var primary = view.primaryId !== null && view.primaryId !== undefined ? nodeName(view.primaryId) : 'none running';
    setText('primary', primary);
    byId('primary').dataset.nodeId = view.primaryId === null || view.primaryId === undefined ? '' : view.primaryId;
    var epoch = view.epoch ? String(view.epoch) : 'unknown (no supervisor)';
    if (status && status.recordEpoch && status.recordEpoch !== view.epoch) {
      epoch += ' (this agent\'s cluster record: ' + status.recordEpoch + ')';
    }
    setText('epoch', epoch);
    setText('paused', view.paused ? 'yes: automatic failover PAUSED' : 'no');
    if (status) {
      setText('lease', status.leaseMillis + ' ms; this agent ' + (status.leaseHeldHere && view.primaryId === status.nodeId
        ? 'holds the primary lease' : 'holds no primary lease'));
    }
  }

  function renderWarnings() {
    var ul = byId('warnings');
    clear(ul);
    var all = view.warnings.slice();
    if (!view.clusterTrafficAuthenticated) {
      all.push('cluster traffic is not authenticated (pgsteward.agent.tls is not set): any process that reaches an'
        + ' agent\'s cluster port can join the cluster');
    }
    all.forEach(function (w) { ul.appendChild(el('li', null, 'WARNING: ' + w)); });
  }

  function latestLagSeconds(id) {
    if (!lag) return null;
    for (var i = 0; i < lag.nodes.length; i++) {
      var n = lag.nodes[i];
      if (n.nodeId === id && n.seconds.length) return n.seconds[n.seconds.length - 1];
    }
    return null;
  }

  function renderTable() {
    var tb = byId('nodes').tBodies[0];
    clear(tb);
    view.nodes.forEach(function (n) {
      var tr = el('tr', isDown(n) ? 'down' : '');
      tr.dataset.nodeName = n.name;
      tr.dataset.role = n.role;
      var secs = latestLagSeconds(n.id);
      var lagText = n.lagBytes !== null && n.lagBytes !== undefined ? fmtBytes(n.lagBytes) : '';
      if (secs !== null && n.role === 'standby') lagText += (lagText ? ', ' : '') + secs.toFixed(1) + ' s';
      [n.id, n.name, n.role, n.status, n.upstream ? '\u2192 ' + n.upstream : '', isSync(n) ? 'sync' : '',
        n.timeline, lagText, n.location, n.priority, n.lastSeen ? ago(n.lastSeen) : ''].forEach(function (v) {
        tr.appendChild(el('td', null, v === null || v === undefined ? '' : v));
      });
      tb.appendChild(tr);
    });
  }

  // Each node under the node it streams from; nodes that stream from none (the primary, stopped ones) at the top.
  function renderTopology() {
    var byName = {}, children = {}, roots = [];
    view.nodes.forEach(function (n) { byName[n.name] = n; children[n.name] = []; });
    view.nodes.forEach(function (n) {
      if (n.upstream && byName[n.upstream] && n.upstream !== n.name) children[n.upstream].push(n);
      else roots.push(n);
    });
    function box(n) {
      var cls = 'node' + (n.role === 'primary' ? ' primary' : '') + (isDown(n) ? ' down' : '');
      var b = el('span', cls);
      b.dataset.nodeName = n.name;
      b.appendChild(el('b', null, n.name));
      b.appendChild(document.createTextNode(' '));
      b.appendChild(el('span', 'role', n.role + ', ' + n.status + (isSync(n) ? ', synchronous' : '')
        + (n.timeline ? ', timeline ' + n.timeline : '')));
      return b;
    }
    function tree(nodes, upstream) {
      var ul = el('ul', upstream ? '' : 'tree');
      nodes.forEach(function (n) {
        var li = el('li');
        if (upstream) li.appendChild(el('span', 'arrow', '\u2191 streams from ' + upstream + ':'));
        li.appendChild(box(n));
        if (children[n.name].length) li.appendChild(tree(children[n.name], n.name));
        ul.appendChild(li);
      });
      return ul;
    }
    var t = byId('topology');
    clear(t);
    t.appendChild(tree(roots, null));
  }

  function renderMembers() {
    var m = byId('members');
    clear(m);
    if (!view.members || !view.members.length) return;
    m.appendChild(document.createTextNode('agents (cluster members, as this agent sees them): '));
    view.members.forEach(function (x, i) {
      if (i) m.appendChild(document.createTextNode(', '));
      var s = el('span', x.reachable ? '' : 'down', x.address + ' ' + x.status + (x.reachable ? '' : ' UNREACHABLE')
        + (status && x.address === status.supervisorAddress ? ' (supervisor)' : ''));
      m.appendChild(s);
    });
  }

  // ---------------------------------------------------------------- lag charts (uPlot)

  function onLag(l) {
    lag = l;
    setText('lag-note', 'sampled every ' + l.sampleMillis + ' ms from repl_status on this node'
      + (l.problem ? ' \u2014 ' + l.problem : ''));
    var box = byId('charts');
    var seen = {};
    l.nodes.forEach(function (n) {
      seen[n.nodeId] = true;
      var data = [n.atMillis.map(function (t) { return t / 1000; }), n.bytes, n.seconds];
      if (!charts[n.nodeId]) {
        var div = el('div', 'chart');
        div.dataset.nodeId = n.nodeId;
        div.appendChild(el('h3'));
        box.appendChild(div);
        charts[n.nodeId] = new uPlot({
          width: 520, height: 220,
          scales: { x: { time: true }, bytes: { auto: true, range: function (u, min, max) { return [0, Math.max(max, 1024)]; } },
            s: { auto: true, range: function (u, min, max) { return [0, Math.max(max, 1)]; } } },
          series: [{},
            { label: 'lag (bytes)', scale: 'bytes', stroke: '#1f77b4', width: 1.5, value: function (u, v) { return v === null ? '-' : fmtBytes(v); } },
            { label: 'lag (s)', scale: 's', stroke: '#d62728', width: 1.5, value: function (u, v) { return v === null ? '-' : v.toFixed(2) + ' s'; } }],
          axes: [{}, { scale: 'bytes', size: 90, values: function (u, vals) { return vals.map(fmtBytes); } },
            { scale: 's', side: 1, size: 50, grid: { show: false }, values: function (u, vals) { return vals.map(function (v) { return v + ' s'; }); } }]
        }, data, div);
      } else {
        charts[n.nodeId].setData(data);
      }
      // the name once the cluster view is known; a former standby keeps its chart (its samples of the last hour)
      box.querySelector('[data-node-id="' + n.nodeId + '"] h3').textContent = nodeName(n.nodeId) + ' (node ' + n.nodeId + ')';
    });
    Object.keys(charts).forEach(function (id) {
      if (!seen[id]) {
        charts[id].destroy();
        var div = box.querySelector('[data-node-id="' + id + '"]');
        if (div) div.remove();
        delete charts[id];
      }
    });
    if (view) renderTable();
  }

  // ---------------------------------------------------------------- events

  var PRIMARY = /^node (\d+) is primary in epoch (\d+): (.*)$/;
  var STEP = /^(promote|follow|decision|voting|promoting|following|switchover)( FAILED)?: (.*)$/;

  // The supervisor's history is text: a new primary's line holds the reason, "; candidates: ...", "; winner node N"
  // and "; votes from nodes [...] in N ms"; its steps (promote, follow) are the lines after it.
  function parseChoice(text) {
    var parts = text.split('; ');
    var out = { reason: [], candidates: [], winner: null, votes: null, rest: [] };
    parts.forEach(function (p) {
      if (p.indexOf('candidates: ') === 0) {
        var re = /([^\s,(]+)\(([^)]*)\)/g, m;
        while ((m = re.exec(p.substring(12))) !== null) out.candidates.push(m[1] + ': ' + m[2]);
      } else if (p.indexOf('winner ') === 0) {
        out.winner = p.substring(7);
      } else if (p.indexOf('votes from ') === 0) {
        out.votes = p;
      } else {
        (out.candidates.length || out.winner ? out.rest : out.reason).push(p);
      }
    });
    return out;
  }

  function part(parent, label, content) {
    var d = el('div', 'part');
    d.appendChild(el('b', null, label));
    if (typeof content === 'string') d.appendChild(document.createTextNode(content));
    else d.appendChild(content);
    parent.appendChild(d);
  }

  function eventLine(e) {
    var li = el('li', e.successful ? '' : 'failed');
    li.appendChild(el('span', 't', fmtTime(e.timestamp)));
    li.appendChild(el('span', 'src', e.event + (e.nodeId ? ' (node ' + e.nodeId + ')' : '')));
    li.appendChild(document.createTextNode(e.details));
    return li;
  }

  function onEvents(rows) {
    var ol = byId('events');
    // oldest first to attach each step to the primary change before it, then shown newest first
    var asc = rows.slice().reverse();
    var items = [], current = null;
    asc.forEach(function (e) {
      var m = e.event === 'supervisor' ? PRIMARY.exec(e.details) : null;
      if (m) {
        current = { kind: 'primary', e: e, node: +m[1], epoch: +m[2], choice: parseChoice(m[3]), steps: [] };
        items.push(current);
      } else if (current && e.event === 'supervisor' && STEP.test(e.details)) {
        current.steps.push(e);
      } else {
        items.push({ kind: 'plain', e: e });
      }
    });
    var open = {};
    ol.querySelectorAll('li.failover').forEach(function (li) {
      if (li.querySelector('details').open) open[li.dataset.epoch] = true;
    });
    clear(ol);
    items.reverse().forEach(function (it) {
      if (it.kind === 'plain') { ol.appendChild(eventLine(it.e)); return; }
      var li = el('li', 'failover');
      li.dataset.epoch = it.epoch;
      li.dataset.nodeId = it.node;
      var d = el('details');
      d.open = !!open[it.epoch];
      var s = el('summary');
      s.appendChild(el('span', 't', fmtTime(it.e.timestamp)));
      s.appendChild(document.createTextNode(nodeName(it.node) + ' (node ' + it.node + ') is primary in epoch ' + it.epoch
        + (it.choice.candidates.length ? ': failover' : '')));
      d.appendChild(s);
      var c = it.choice;
      part(d, 'reason', c.reason.join('; ') || '(none recorded)');
      if (c.candidates.length) {
        var ul = el('ul');
        c.candidates.forEach(function (x) { ul.appendChild(el('li', null, x)); });
        part(d, 'candidates', ul);
      }
      if (c.winner) part(d, 'winner', c.winner);
      part(d, 'votes', c.votes || '(not recorded for this change)');
      if (c.rest.length) part(d, 'also', c.rest.join('; '));
      if (it.steps.length) {
        var steps = el('ul');
        it.steps.forEach(function (x) {
          steps.appendChild(el('li', x.successful ? '' : 'failed', fmtTime(x.timestamp) + '  ' + x.details));
        });
        part(d, 'steps', steps);
      } else {
        part(d, 'steps', '(none recorded yet)');
      }
      li.appendChild(d);
      ol.appendChild(li);
    });
  }

  // ---------------------------------------------------------------- start

  document.addEventListener('DOMContentLoaded', function () {
    poll('status', onStatus);
    poll('cluster', onCluster);
    poll('lag', onLag);
    poll('events', onEvents);
  });
})();

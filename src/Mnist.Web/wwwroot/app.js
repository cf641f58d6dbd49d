'use strict';
// The page: a drawing pad, the model's answer, and the model card. No libraries, no CDN.
(() => {
  // Pen width as a share of the pad's side. A digit drawn over about two thirds of the pad's
  // height then has MNIST's proportions (stroke about 1/7 of the digit's height); the server
  // evens out the rest (stroke width, scale and centring) whatever the user does.
  const PEN = 0.09;
  // The strokes are re-drawn at this size for the server, whatever the screen's pixel density.
  const EXPORT_SIDE = 140;
  // While drawing, at most one prediction per this many milliseconds.
  const THROTTLE_MS = 120;

  const $ = id => document.getElementById(id);
  const pad = $('pad');
  const prediction = $('prediction');
  const confidence = $('confidence');
  const probabilities = $('probabilities');
  const modelInput = $('model-input');
  const status = $('status');
  const upload = $('upload');

  let classNames = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
  let strokes = [];        // each stroke: [[x, y], ...] in [0, 1] pad coordinates
  let current = null;      // the stroke being drawn
  let activePointer = null;
  let uploaded = null;     // an uploaded image shown on the pad, replaced by the next stroke
  let version = 0;         // bumps on every change of the pad
  let timer = 0;
  let inFlight = false;
  let again = false;

  // ---- the pad ------------------------------------------------------------------------------
  function fitPad() {
    const rect = pad.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    pad.width = Math.max(1, Math.round(rect.width * dpr));
    pad.height = Math.max(1, Math.round(rect.height * dpr));
    redraw();
  }

  function paint(canvas, list) {
    const ctx = canvas.getContext('2d');
    const side = canvas.width;
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.strokeStyle = '#fff';
    ctx.fillStyle = '#fff';
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.lineWidth = PEN * side;
    for (const stroke of list) {
      if (stroke.length === 1) {
        ctx.beginPath();
        ctx.arc(stroke[0][0] * side, stroke[0][1] * side, PEN * side / 2, 0, 2 * Math.PI);
        ctx.fill();
        continue;
      }
      ctx.beginPath();
      ctx.moveTo(stroke[0][0] * side, stroke[0][1] * side);
      for (let i = 1; i < stroke.length; i++) ctx.lineTo(stroke[i][0] * side, stroke[i][1] * side);
      ctx.stroke();
    }
  }

  function redraw() {
    if (uploaded) {
      const ctx = pad.getContext('2d');
      ctx.fillStyle = '#000';
      ctx.fillRect(0, 0, pad.width, pad.height);
      const k = Math.min(pad.width / uploaded.width, pad.height / uploaded.height);
      const w = uploaded.width * k, h = uploaded.height * k;
      ctx.drawImage(uploaded, (pad.width - w) / 2, (pad.height - h) / 2, w, h);
    } else {
      paint(pad, strokes);
    }
  }

  function point(e) {
    const rect = pad.getBoundingClientRect();
    return [(e.clientX - rect.left) / rect.width, (e.clientY - rect.top) / rect.height];
  }

  function segment(a, b) {
    const ctx = pad.getContext('2d');
    const side = pad.width;
    ctx.strokeStyle = '#fff';
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.lineWidth = PEN * side;
    ctx.beginPath();
    ctx.moveTo(a[0] * side, a[1] * side);
    ctx.lineTo(b[0] * side, b[1] * side);
    ctx.stroke();
  }

  function changed() {
    version++;
    pad.dataset.version = String(version);
  }

  pad.addEventListener('pointerdown', e => {
    if (activePointer !== null) return;                 // one finger draws; others are ignored
    if (e.pointerType === 'mouse' && e.button !== 0) return;
    e.preventDefault();
    pad.setPointerCapture(e.pointerId);
    activePointer = e.pointerId;
    if (uploaded) { uploaded = null; strokes = []; }
    current = [point(e)];
    strokes.push(current);
    redraw();
    changed();
    throttle();
  });

  pad.addEventListener('pointermove', e => {
    if (e.pointerId !== activePointer) return;
    e.preventDefault();
    const events = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [];
    for (const ev of events.length ? events : [e]) {
      const p = point(ev);
      const last = current[current.length - 1];
      if (Math.abs(p[0] - last[0]) + Math.abs(p[1] - last[1]) < 0.002) continue;
      current.push(p);
      segment(last, p);
    }
    changed();
    throttle();
  });

  function endStroke(e) {
    if (e.pointerId !== activePointer) return;
    activePointer = null;
    current = null;
    predictNow();
  }
  pad.addEventListener('pointerup', endStroke);
  pad.addEventListener('pointercancel', endStroke);
  // Older mobile browsers scroll on touch even with touch-action: none.
  pad.addEventListener('touchstart', e => e.preventDefault(), { passive: false });
  pad.addEventListener('touchmove', e => e.preventDefault(), { passive: false });

  function undo() {
    if (uploaded) { clear(); return; }
    strokes.pop();
    redraw();
    changed();
    predictNow();
  }

  function clear() {
    strokes = [];
    uploaded = null;
    redraw();
    changed();
    setStatus('Draw a digit in the box, as large as you like, anywhere.');
    predictNow();
  }

  $('undo').addEventListener('click', undo);
  $('clear').addEventListener('click', clear);
  document.addEventListener('keydown', e => {
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'z') { e.preventDefault(); undo(); }
    else if (e.key === 'Escape') clear();
  });

  // ---- prediction ---------------------------------------------------------------------------
  function throttle() {
    if (!timer) timer = setTimeout(() => { timer = 0; predictNow(); }, THROTTLE_MS);
  }

  function exportPng() {
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = EXPORT_SIDE;
    paint(canvas, strokes);
    return new Promise(resolve => canvas.toBlob(resolve, 'image/png'));
  }

  async function predictNow() {
    clearTimeout(timer);
    timer = 0;
    if (uploaded) return;
    if (strokes.length === 0) { showEmpty(); return; }
    if (inFlight) { again = true; return; }
    inFlight = true;
    const asked = version;
    try {
      const body = await exportPng();
      const response = await fetch('/api/predict', { method: 'POST', headers: { 'Content-Type': 'image/png' }, body });
      if (strokes.length === 0 || uploaded) return;       // cleared meanwhile
      await showResponse(response, asked);
    } catch (err) {
      setStatus('The server could not be reached: ' + err.message, true);
    } finally {
      inFlight = false;
      if (again) { again = false; predictNow(); }
    }
  }

  async function showResponse(response, asked) {
    if (response.ok) {
      show(await response.json(), asked);
      return;
    }
    let detail = response.statusText;
    try { const problem = await response.json(); detail = problem.detail || problem.title || detail; } catch { /* not JSON */ }
    showEmpty(asked);
    setStatus(`Not read (${response.status}): ${detail}`, true);
  }

  function show(r, asked) {
    const p = r.probabilities;
    const order = p.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0]);
    prediction.textContent = r.label;
    prediction.dataset.version = String(asked);
    const sure = r.confidence >= 0.6;
    prediction.classList.toggle('unsure', !sure);
    confidence.textContent = sure
      ? `${percent(r.confidence)} sure`
      : `not sure: ${classNames[order[0][1]]} (${percent(order[0][0])}) or ${classNames[order[1][1]]} (${percent(order[1][0])})`;
    setBars(p, r.digit);
    drawInput(r.input);
    setStatus('');
  }

  function showEmpty(asked) {
    prediction.textContent = '';
    prediction.dataset.version = String(asked ?? version);
    prediction.classList.remove('unsure');
    confidence.textContent = '';
    setBars(null, -1);
    drawInput(null);
  }

  function percent(v) { return (v * 100).toFixed(v >= 0.995 || v < 0.0005 ? 0 : 1) + '%'; }

  function buildBars() {
    probabilities.textContent = '';
    classNames.forEach((name, i) => {
      const row = document.createElement('div');
      row.className = 'prob';
      row.dataset.digit = String(i);
      row.dataset.probability = '0';
      row.innerHTML = '<span class="label"></span><span class="track"><span class="fill"></span></span><span class="value"></span>';
      row.querySelector('.label').textContent = name;
      probabilities.appendChild(row);
    });
  }

  function setBars(p, top) {
    for (const row of probabilities.children) {
      const i = Number(row.dataset.digit);
      const v = p ? p[i] : 0;
      row.dataset.probability = v.toFixed(6);
      row.classList.toggle('top', i === top);
      row.querySelector('.fill').style.width = (v * 100).toFixed(2) + '%';
      row.querySelector('.value').textContent = p ? percent(v) : '';
      row.title = p ? `${classNames[i]}: ${(v * 100).toFixed(3)}%` : '';
    }
  }

  function drawInput(values) {
    const ctx = modelInput.getContext('2d');
    const image = ctx.createImageData(28, 28);
    for (let i = 0; i < 784; i++) {
      const g = values ? Math.round(Math.max(0, Math.min(1, values[i])) * 255) : 0;
      image.data[i * 4] = image.data[i * 4 + 1] = image.data[i * 4 + 2] = g;
      image.data[i * 4 + 3] = 255;
    }
    ctx.putImageData(image, 0, 0);
    modelInput.dataset.ink = values ? values.reduce((a, b) => a + b, 0).toFixed(3) : '0';
  }

  function setStatus(text, error) {
    status.textContent = text;
    status.classList.toggle('error', !!error);
  }

  // ---- upload -------------------------------------------------------------------------------
  upload.addEventListener('change', async () => {
    const file = upload.files && upload.files[0];
    if (!file) return;
    upload.value = '';
    strokes = [];
    changed();
    const asked = version;
    try {
      uploaded = await loadImage(file);
    } catch {
      uploaded = null;
    }
    redraw();
    const form = new FormData();
    form.append('image', file, file.name);
    setStatus(`Reading ${file.name}…`);
    try {
      const response = await fetch('/api/predict', { method: 'POST', body: form });
      await showResponse(response, asked);
      if (response.ok) setStatus(`From ${file.name}. Draw on the pad to start again.`);
    } catch (err) {
      setStatus('The server could not be reached: ' + err.message, true);
    }
  });

  function loadImage(file) {
    return new Promise((resolve, reject) => {
      const img = new Image();
      img.onload = () => { URL.revokeObjectURL(img.src); resolve(img); };
      img.onerror = () => { URL.revokeObjectURL(img.src); reject(new Error('not an image')); };
      img.src = URL.createObjectURL(file);
    });
  }

  // ---- the model card -----------------------------------------------------------------------
  async function loadModel() {
    try {
      const card = await (await fetch('/api/model')).json();
      if (Array.isArray(card.class_names) && card.class_names.length === classNames.length) {
        classNames = card.class_names;
        for (const row of probabilities.children) row.querySelector('.label').textContent = classNames[Number(row.dataset.digit)];
      }
      renderCard(card);
      loadPictures();
    } catch (err) {
      $('model-line').textContent = 'The model card could not be loaded: ' + err.message;
    }
  }

  function renderCard(card) {
    const ev = card.evaluation;
    const acc = ev ? (ev.accuracy * 100).toFixed(2) + '%' : 'not evaluated';
    const members = card.members || [];
    const params = (card.total_params || card.summary.total_params).toLocaleString('en');
    const what = members.length ? `${card.dataset} ensemble of ${members.length} models (the mean of their probabilities)` : `${card.dataset} model`;
    const tta = card.test_time_variants ? `, each answer the mean over the drawing and ${card.test_time_variants} shifted or turned copies` : '';
    $('model-line').textContent = `${what}, ${params} parameters, test accuracy ${acc}${tta}.`;
    const facts = [
      ['test accuracy', acc],
      ['test loss', ev ? ev.loss.toFixed(4) : '–'],
      members.length ? ['members', String(members.length)] : ['weights of epoch', String(card.epoch)],
      ['best ' + (card.best ? card.best.monitor : 'metric'), card.best ? card.best.value.toFixed(4) : '–'],
      ['parameters', params],
      ['test-time variants', String(card.test_time_variants || 0)],
    ];
    $('model-facts').innerHTML = '<div class="facts">' + facts.map(([k, v]) => `<div><span class="muted">${esc(k)}</span><br><b>${esc(v)}</b></div>`).join('') + '</div>';

    const rows = card.summary.layers.map(l =>
      `<tr><td>${esc(l.name)} <span class="muted">(${esc(l.type)}${l.activation ? ', ' + esc(l.activation) : ''})</span></td>` +
      `<td>(None, ${l.output_shape.join(', ')})</td><td>${l.params.toLocaleString('en')}</td></tr>`);
    $('architecture').innerHTML = (members.length ? `<caption class="muted">member 0 of ${members.length}</caption>` : '') +
      '<tr><th>layer</th><th>output shape</th><th>params</th></tr>' + rows.join('') +
      `<tr><th>total</th><th></th><th>${card.summary.total_params.toLocaleString('en')}</th></tr>`;

    if (ev) {
      const cm = ev.confusion_matrix;
      let max = 0;
      cm.forEach((row, i) => row.forEach((v, j) => { if (i !== j) max = Math.max(max, v); }));
      const head = '<tr><th></th>' + classNames.map(n => `<th>${esc(n)}</th>`).join('') + '</tr>';
      const body = cm.map((row, i) => `<tr><th>${esc(classNames[i])}</th>` + row.map((v, j) => {
        const bg = i === j ? 'rgba(37,99,235,.18)' : v ? `rgba(220,38,38,${(0.1 + 0.7 * v / Math.max(1, max)).toFixed(2)})` : 'transparent';
        return `<td style="background:${bg}">${v}</td>`;
      }).join('') + '</tr>').join('');
      $('confusion').innerHTML = head + body;
    } else {
      $('confusion').outerHTML = '<p class="muted">This model file holds no test evaluation.</p>';
    }

    const h = card.history || [];
    $('history').innerHTML = h.length
      ? chart('loss', h, [['loss', '#94a3b8'], ['val_loss', '#2563eb']]) + chart('accuracy', h, [['accuracy', '#94a3b8'], ['val_accuracy', '#2563eb']])
      : '<p class="muted">No history in this model file.</p>';
  }

  // The run's pictures (drawn by the trainer with ScottPlot), from the model's run folder. Where one
  // is there, it replaces the table or chart drawn here from the model card; where it is absent
  // (404), the page keeps those.
  function loadPictures() {
    for (const [name, fallback] of [['curves', 'history-block'], ['confusion', 'confusion-block'], ['mistakes', null]]) {
      const figure = $('plot-' + name);
      const img = figure.querySelector('img');
      img.onload = () => { figure.hidden = false; if (fallback) $(fallback).hidden = true; };
      img.onerror = () => { figure.hidden = true; };
      img.src = '/api/model/plots/' + name + '.svg';
    }
  }

  function chart(title, history, series) {
    const W = 320, H = 150, L = 46, R = 10, T = 22, B = 24;
    const values = series.flatMap(([k]) => history.map(e => e[k])).filter(Number.isFinite);
    let lo = Math.min(...values), hi = Math.max(...values);
    if (hi - lo < 1e-9) { lo -= 0.5; hi += 0.5; }
    const n = history.length;
    const x = i => L + (n === 1 ? (W - L - R) / 2 : i * (W - L - R) / (n - 1));
    const y = v => T + (hi - v) * (H - T - B) / (hi - lo);
    const lines = series.map(([k, color]) => {
      const pts = history.map((e, i) => `${x(i).toFixed(1)},${y(e[k]).toFixed(1)}`).join(' ');
      return `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts}"/>` +
        history.map((e, i) => `<circle cx="${x(i).toFixed(1)}" cy="${y(e[k]).toFixed(1)}" r="2" fill="${color}"><title>${k} epoch ${e.epoch}: ${e[k].toFixed(4)}</title></circle>`).join('');
    }).join('');
    const legend = series.map(([k, color], i) => `<text x="${L + 70 + i * 110}" y="14" font-size="11" fill="${color}">■ ${k}</text>`).join('');
    return `<svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${title} per epoch">` +
      `<text x="4" y="14" font-size="11" fill="#5f6b7a">${title}</text>${legend}` +
      `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#d9dee5"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#d9dee5"/>` +
      `<text x="${L - 4}" y="${T + 4}" font-size="10" text-anchor="end" fill="#5f6b7a">${hi.toFixed(3)}</text>` +
      `<text x="${L - 4}" y="${H - B}" font-size="10" text-anchor="end" fill="#5f6b7a">${lo.toFixed(3)}</text>` +
      `<text x="${L}" y="${H - 6}" font-size="10" fill="#5f6b7a">epoch 1</text>` +
      `<text x="${W - R}" y="${H - 6}" font-size="10" text-anchor="end" fill="#5f6b7a">${n}</text>` +
      lines + '</svg>';
  }

  function esc(s) {
    return String(s).replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  }

  buildBars();
  showEmpty();
  pad.dataset.version = '0';
  fitPad();
  window.addEventListener('resize', fitPad);
  loadModel();
})();

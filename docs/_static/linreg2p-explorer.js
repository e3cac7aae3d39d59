/* linreg2p explorer: gradient descent on the lab's data, run in the page.
 *
 * The docs build writes, on each explorer, the five moments of the lab's data as linreg2p computes them
 * (`Moments.of(X, Y)` on `make_data(seed=0)`), the stability bound `max_stable_lr(X)` and the sliders'
 * starting values (`data-explorer`). Everything drawn here follows from those numbers: the MSE of a line is
 * an exact quadratic in (w, b), so its gradient, its loss and its contour lines need nothing else.
 * No library and no request: plain DOM and SVG.
 *
 * For tests and the curious, each explorer element carries `linreg2pRun` (the run drawn: arrays w, b, loss,
 * as `train_model`'s History) and `linreg2pFrame` (the map from (w, b) to the SVG's coordinates).
 */
(function () {
  'use strict';
  var NS = 'http://www.w3.org/2000/svg';
  var MINUS = '\u2212';

  /* ------------------------------------------------------------ the numbers */

  // Full-batch gradient descent on the MSE, as `train_model` runs it, from the moments alone. With d = w − ŵ
  // and r = d·E[x] + (b − b̂) (the mean residual), the loss is var_x·d² + r² + floor and its gradient is
  // (2·(var_x·d + E[x]·r), 2·r). Entry k is the state after k updates; a loss that overflows ends the run.
  function descend(m, w, b, lr, steps) {
    var bhat = m.mean_y - m.slope * m.mean_x;
    var run = { w: [], b: [], loss: [], lr: lr, steps: steps, overflow: false };
    for (var k = 0; k <= steps; k++) {
      var d = w - m.slope, r = d * m.mean_x + (b - bhat);
      var loss = m.var_x * d * d + m.floor + r * r;
      if (!isFinite(loss)) { run.overflow = true; break; }
      run.w.push(w); run.b.push(b); run.loss.push(loss);
      if (k === steps) break;
      var gw = 2 * (m.var_x * d + m.mean_x * r), gb = 2 * r;
      w -= lr * gw; b -= lr * gb;
    }
    return run;
  }

  function lossAt(m, w, b) {
    var d = w - m.slope, r = d * m.mean_x + (b - (m.mean_y - m.slope * m.mean_x));
    return m.var_x * d * d + m.floor + r * r;
  }

  // The level set loss = floor + c of the bowl: an ellipse around the optimum, as a list of (w, b) points.
  // loss − floor = a·d² + 2·E[x]·d·e + e² with a = E[x²], d = w − ŵ, e = b − b̂.
  function ellipse(m, c, n) {
    var a = m.var_x + m.mean_x * m.mean_x, q = m.mean_x;
    var th = 0.5 * Math.atan2(2 * q, a - 1), co = Math.cos(th), si = Math.sin(th);
    var mu1 = a * co * co + 2 * q * si * co + si * si, mu2 = a * si * si - 2 * q * si * co + co * co;
    var r1 = Math.sqrt(c / mu1), r2 = Math.sqrt(c / mu2), bhat = m.mean_y - m.slope * m.mean_x, pts = [];
    for (var i = 0; i < n; i++) {
      var t = 2 * Math.PI * i / n, u = r1 * Math.cos(t), v = r2 * Math.sin(t);
      pts.push([m.slope + u * co - v * si, bhat + u * si + v * co]);
    }
    return pts;
  }

  // The part of the segment (x0, y0)–(x1, y1) inside the box, or null (Liang–Barsky).
  function clip(x0, y0, x1, y1, box) {
    var dx = x1 - x0, dy = y1 - y0, t0 = 0, t1 = 1;
    var p = [-dx, dx, -dy, dy], q = [x0 - box.w0, box.w1 - x0, y0 - box.b0, box.b1 - y0];
    for (var i = 0; i < 4; i++) {
      if (p[i] === 0) { if (q[i] < 0) return null; continue; }
      var t = q[i] / p[i];
      if (p[i] < 0) { if (t > t1) return null; if (t > t0) t0 = t; }
      else { if (t < t0) return null; if (t < t1) t1 = t; }
    }
    return [x0 + t0 * dx, y0 + t0 * dy, x0 + t1 * dx, y0 + t1 * dy];
  }

  /* ------------------------------------------------------------ text */

  function num(v, digits) { return v.toFixed(digits).replace('-', MINUS); }
  function sig(v) { // 3 significant digits, plain for 0.001 ≤ |v| < 10⁵, else 1.23e+7
    var a = Math.abs(v);
    var s = a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(2) : String(Number(v.toPrecision(3)));
    return s.replace(/-/g, MINUS);
  }

  /* ------------------------------------------------------------ a tiny SVG renderer */

  function svg(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function text(parent, x, y, s, cls, anchor) {
    var t = svg('text', { x: x, y: y, 'class': cls || 'lx-tick', 'text-anchor': anchor || 'middle' }, parent);
    t.textContent = s;
    return t;
  }
  function f2(v) { return Math.round(v * 100) / 100; }

  var BOX = { left: 52, top: 12, size: 300, right: 12, bottom: 44 };
  var VIEW = '0 0 ' + (BOX.left + BOX.size + BOX.right) + ' ' + (BOX.top + BOX.size + BOX.bottom);
  var uid = 0;

  function makeSvg(parent, label) {
    var s = svg('svg', { viewBox: VIEW, role: 'img', 'aria-label': label, 'class': 'lx-plot' }, parent);
    var id = 'lx-clip-' + (++uid);
    svg('rect', { x: BOX.left, y: BOX.top, width: BOX.size, height: BOX.size }, svg('clipPath', { id: id }, svg('defs', {}, s)));
    return { svg: s, clip: 'url(#' + id + ')' };
  }

  /* ------------------------------------------------------------ one explorer */

  function Explorer(root) {
    var cfg = JSON.parse(root.getAttribute('data-explorer'));
    var m = cfg.moments, bound = cfg.bound, pad = 0.03 * 2 * cfg.grid; // the lab's frame: the grid and 3 %
    var box = { w0: -cfg.grid - pad, w1: cfg.grid + pad, b0: -cfg.grid - pad, b1: cfg.grid + pad };
    var X = function (w) { return BOX.left + (w - box.w0) / (box.w1 - box.w0) * BOX.size; };
    var Y = function (b) { return BOX.top + (box.b1 - b) / (box.b1 - box.b0) * BOX.size; };
    var inside = function (w, b) { return w >= box.w0 && w <= box.w1 && b >= box.b0 && b <= box.b1; };
    var inputs = {}, outputs = {};
    ['lr', 'steps', 'w', 'b'].forEach(function (k) {
      inputs[k] = root.querySelector('input[name="' + k + '"]');
      outputs[k] = root.querySelector('output[for="' + inputs[k].id + '"]');
    });
    var status = root.querySelector('.lx-status'), diverge = root.querySelector('.lx-diverge');
    var plots = root.querySelector('.lx-plots');

    /* the map: contour lines (fixed), optimum, path */
    var map = makeSvg(plots, 'loss contour');
    var g = svg('g', { 'clip-path': map.clip }, map.svg);
    var corners = [[-cfg.grid, -cfg.grid], [-cfg.grid, cfg.grid], [cfg.grid, -cfg.grid], [cfg.grid, cfg.grid]];
    var hi = Math.max.apply(null, corners.map(function (p) { return lossAt(m, p[0], p[1]); }));
    var levels = []; // spaced like the lab's contour plots: evenly spaced ellipses
    for (var k = 1; k <= 14; k++) levels.push((hi - m.floor) * (k / 14) * (k / 14));
    var d = levels.map(function (c) {
      return 'M' + ellipse(m, c, 96).map(function (p) { return f2(X(p[0])) + ' ' + f2(Y(p[1])); }).join('L') + 'Z';
    }).join('');
    svg('path', { d: d, 'class': 'lx-contour' }, g);
    svg('rect', { x: BOX.left, y: BOX.top, width: BOX.size, height: BOX.size, 'class': 'lx-frame' }, map.svg);
    [-15, -10, -5, 0, 5, 10, 15].forEach(function (v) {
      if (v < box.w0 || v > box.w1) return;
      svg('line', { x1: X(v), x2: X(v), y1: BOX.top + BOX.size, y2: BOX.top + BOX.size + 4, 'class': 'lx-axis' }, map.svg);
      text(map.svg, X(v), BOX.top + BOX.size + 16, num(v, 0));
      svg('line', { x1: BOX.left - 4, x2: BOX.left, y1: Y(v), y2: Y(v), 'class': 'lx-axis' }, map.svg);
      text(map.svg, BOX.left - 7, Y(v) + 4, num(v, 0), 'lx-tick', 'end');
    });
    text(map.svg, BOX.left + BOX.size / 2, BOX.top + BOX.size + 36, 'w (slope)', 'lx-axis-label');
    var yl = text(map.svg, 0, 0, 'b (bias)', 'lx-axis-label');
    yl.setAttribute('transform', 'translate(14 ' + (BOX.top + BOX.size / 2) + ') rotate(-90)');
    var bhat = m.mean_y - m.slope * m.mean_x, ox = X(m.slope), oy = Y(bhat), star = [];
    for (var i = 0; i < 10; i++) {
      var rad = i % 2 ? 3.2 : 8, a = -Math.PI / 2 + i * Math.PI / 5;
      star.push(f2(ox + rad * Math.cos(a)) + ' ' + f2(oy + rad * Math.sin(a)));
    }
    svg('path', { d: 'M' + star.join('L') + 'Z', 'class': 'lx-optimum' }, map.svg).appendChild(
      document.createElementNS(NS, 'title')).textContent = 'least-squares optimum';
    var pathLine = svg('path', { 'class': 'lx-path', d: '' }, svg('g', { 'clip-path': map.clip }, map.svg));
    var dots = svg('g', { 'class': 'lx-dots' }, map.svg), dotPool = [];
    var startMark = svg('rect', { width: 9, height: 9, 'class': 'lx-start' }, map.svg);

    /* the loss per step */
    var lc = makeSvg(plots, 'loss per step');
    svg('rect', { x: BOX.left, y: BOX.top, width: BOX.size, height: BOX.size, 'class': 'lx-frame' }, lc.svg);
    var lossAxes = svg('g', {}, lc.svg);
    text(lc.svg, BOX.left + BOX.size / 2, BOX.top + BOX.size + 36, 'step (updates so far)', 'lx-axis-label');
    var ll = text(lc.svg, 0, 0, 'loss (MSE, log scale)', 'lx-axis-label');
    ll.setAttribute('transform', 'translate(12 ' + (BOX.top + BOX.size / 2) + ') rotate(-90)');
    var floorLine = svg('line', { 'class': 'lx-floor' }, lc.svg);
    var floorText = text(lc.svg, 0, 0, 'noise floor', 'lx-tick lx-floor-label', 'end');
    var lossLine = svg('polyline', { 'class': 'lx-loss', points: '' }, svg('g', { 'clip-path': lc.clip }, lc.svg));

    function value(k) { return k === 'steps' ? parseInt(inputs[k].value, 10) : parseFloat(inputs[k].value); }

    function drawLossAxes(key, e0, e1, steps, LX, LY) { // decades on the loss axis, a few steps on the other
      lossAxes.setAttribute('data-key', key);
      while (lossAxes.firstChild) lossAxes.removeChild(lossAxes.firstChild);
      var every = Math.ceil((e1 - e0) / 7);
      for (var e = e0; e <= e1; e += every) {
        svg('line', { x1: BOX.left, x2: BOX.left + BOX.size, y1: LY(Math.pow(10, e)), y2: LY(Math.pow(10, e)), 'class': 'lx-grid' }, lossAxes);
        text(lossAxes, BOX.left - 7, LY(Math.pow(10, e)) + 4, Math.abs(e) <= 3 ? sig(Math.pow(10, e)) : '1e' + String(e).replace('-', MINUS), 'lx-tick', 'end');
      }
      var tick = [1, 2, 5, 10, 20, 25, 50, 100].filter(function (t) { return steps / t <= 6; })[0];
      for (var k = 0; k <= steps; k += tick) {
        svg('line', { x1: LX(k), x2: LX(k), y1: BOX.top + BOX.size, y2: BOX.top + BOX.size + 4, 'class': 'lx-axis' }, lossAxes);
        text(lossAxes, LX(k), BOX.top + BOX.size + 16, String(k));
      }
    }

    function drawLoss(run) {
      var n = run.loss.length, steps = Math.max(run.steps, 1);
      var lo = Math.min(m.floor, Math.min.apply(null, run.loss)), top = Math.max.apply(null, run.loss);
      var e0 = Math.floor(Math.log10(Math.max(lo, 1e-300))), e1 = Math.ceil(Math.log10(Math.max(top, 1e-300)));
      if (e1 <= e0) e1 = e0 + 1;
      var LX = function (k) { return BOX.left + k / steps * BOX.size; };
      var LY = function (v) { return BOX.top + (e1 - Math.log10(Math.max(v, 1e-300))) / (e1 - e0) * BOX.size; };
      var axesKey = e0 + ' ' + e1 + ' ' + steps;
      if (lossAxes.getAttribute('data-key') !== axesKey) drawLossAxes(axesKey, e0, e1, steps, LX, LY);
      var fy = f2(LY(m.floor));
      floorLine.setAttribute('x1', BOX.left); floorLine.setAttribute('x2', BOX.left + BOX.size);
      floorLine.setAttribute('y1', fy); floorLine.setAttribute('y2', fy);
      floorText.setAttribute('x', BOX.left + BOX.size - 4); floorText.setAttribute('y', fy - 4);
      var pts = [];
      for (var j = 0; j < n; j++) pts.push(f2(LX(j)) + ',' + f2(LY(run.loss[j])));
      lossLine.setAttribute('points', pts.join(' '));
    }

    function drawPath(run) {
      var n = run.w.length, d = [];
      for (var k = 1; k < n; k++) {
        var c = clip(run.w[k - 1], run.b[k - 1], run.w[k], run.b[k], box);
        if (c) d.push('M' + f2(X(c[0])) + ' ' + f2(Y(c[1])) + 'L' + f2(X(c[2])) + ' ' + f2(Y(c[3])));
      }
      pathLine.setAttribute('d', d.join(''));
      var used = 0;
      for (var j = 0; j < n; j++) {
        if (!inside(run.w[j], run.b[j])) continue;
        var dot = dotPool[used] || (dotPool[used] = svg('circle', { r: 2.6 }, dots));
        dot.setAttribute('cx', f2(X(run.w[j]))); dot.setAttribute('cy', f2(Y(run.b[j])));
        dot.setAttribute('data-step', j);
        dot.setAttribute('class', j === n - 1 ? 'lx-dot lx-end' : 'lx-dot');
        dot.setAttribute('r', j === n - 1 ? 4.5 : 2.6);
        dot.removeAttribute('display');
        used++;
      }
      for (; used < dotPool.length; used++) dotPool[used].setAttribute('display', 'none');
      startMark.setAttribute('x', f2(X(run.w[0]) - 4.5)); startMark.setAttribute('y', f2(Y(run.b[0]) - 4.5));
    }

    function update() {
      var lr = value('lr'), steps = value('steps'), w0 = value('w'), b0 = value('b');
      outputs.lr.value = num(lr, 2); outputs.steps.value = String(steps);
      outputs.w.value = num(w0, 1); outputs.b.value = num(b0, 1);
      var past = lr >= bound;
      inputs.lr.setAttribute('aria-valuetext', num(lr, 2) + (past ? ', at or above the stability bound ' : ', under the stability bound ') + num(bound, 3));
      var run = descend(m, w0, b0, lr, steps);
      drawPath(run);
      drawLoss(run);
      var n = run.loss.length, last = n - 1;
      var out = run.w.some(function (w, k) { return !inside(w, run.b[k]); });
      status.textContent = 'After ' + last + (last === 1 ? ' step' : ' steps') + ': w = ' + sig(run.w[last]) + ', b = ' + sig(run.b[last]) +
        ', loss = ' + sig(run.loss[last]) + ' (the best line: w = ' + num(m.slope, 3) + ', b = ' + num(bhat, 3) + ', loss = ' + sig(m.floor) + ').' +
        (out ? ' The path leaves the map.' : '');
      if (past) {
        diverge.textContent = 'This run diverges: lr ' + num(lr, 2) + ' is at or above the stability bound 2/\u03bbmax = ' + num(bound, 3) +
          ', so each step overshoots the bottom of the bowl by more than the last. ' +
          (run.overflow ? 'The loss overflowed after ' + last + ' steps; the run stops at the last finite state.'
                        : 'The loss went from ' + sig(run.loss[0]) + ' to ' + sig(run.loss[last]) + ' in ' + last + (last === 1 ? ' step.' : ' steps.'));
      }
      diverge.hidden = !past;
      map.svg.setAttribute('aria-label', 'Loss contour with the path of ' + n + ' states from (' + sig(run.w[0]) + ', ' + sig(run.b[0]) +
        ') to (' + sig(run.w[last]) + ', ' + sig(run.b[last]) + ')');
      lc.svg.setAttribute('aria-label', 'Loss per step, from ' + sig(run.loss[0]) + ' to ' + sig(run.loss[last]) + ', log scale');
      root.linreg2pRun = run;
    }

    Object.keys(inputs).forEach(function (k) { inputs[k].addEventListener('input', update); });
    root.querySelector('.lx-reset').addEventListener('click', function () {
      Object.keys(inputs).forEach(function (k) { inputs[k].value = cfg.start[k]; });
      update();
    });
    root.linreg2pFrame = { box: box, left: BOX.left, top: BOX.top, size: BOX.size };
    root.linreg2pDescend = function (w, b, lr, steps) { return descend(m, w, b, lr, steps); };
    root.querySelector('.lx-controls').hidden = false;
    plots.hidden = false; status.hidden = false; root.querySelector('.lx-hint').hidden = false;
    update();
    root.setAttribute('data-ready', '');
  }

  function start() {
    var all = document.querySelectorAll('.linreg2p-explorer[data-explorer]');
    for (var i = 0; i < all.length; i++) Explorer(all[i]);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();

// The live latent plane of the HTML report (see latent_widget.py): Q1's decoder evaluated in the page.
(function () {
  "use strict";
  const root = document.getElementById("latent-widget");
  const source = document.getElementById("latent-widget-data");
  if (!root || !source) return;
  const data = JSON.parse(source.textContent);

  function bytes(b64) {
    const s = atob(b64), out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }
  const float32 = (b64) => new Float32Array(bytes(b64).buffer);
  function float16(b64) {
    const half = new Uint16Array(bytes(b64).buffer), out = new Float32Array(half.length);
    for (let i = 0; i < half.length; i++) {
      const h = half[i], sign = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
      out[i] = e === 0 ? sign * Math.pow(2, -14) * (f / 1024)
        : e === 31 ? (f ? NaN : sign * Infinity) : sign * Math.pow(2, e - 15) * (1 + f / 1024);
    }
    return out;
  }
  function prepare(model) {
    model.layers = model.layers.map((layer) => ({
      rows: layer.rows, cols: layer.cols, w: float16(layer.w), b: float32(layer.b), activation: layer.activation }));
    model.z = float16(model.points);
    model.y = bytes(model.labels);
    if (model.ratio) model.ratioMap = float16(model.ratio.log10);
    return model;
  }
  const models = data.models.map(prepare);

  // The decoder's pixel means (784,) at the latent point (z1, z2): dense layers, then a sigmoid for logits.
  function decode(model, z1, z2) {
    let h = new Float32Array([z1, z2]);
    for (const layer of model.layers) {
      const out = new Float32Array(layer.cols);
      out.set(layer.b);
      for (let r = 0; r < layer.rows; r++) {
        const v = h[r];
        if (v === 0) continue;
        const offset = r * layer.cols;
        for (let c = 0; c < layer.cols; c++) out[c] += v * layer.w[offset + c];
      }
      if (layer.activation === "relu") for (let c = 0; c < out.length; c++) out[c] = out[c] > 0 ? out[c] : 0;
      else if (layer.activation === "sigmoid") for (let c = 0; c < out.length; c++) out[c] = 1 / (1 + Math.exp(-out[c]));
      h = out;
    }
    if (model.likelihood === "bernoulli") for (let c = 0; c < h.length; c++) h[c] = 1 / (1 + Math.exp(-h[c]));
    return h;
  }

  const plane = root.querySelector(".lw-plane"), live = root.querySelector(".lw-live"), kept = root.querySelector(".lw-kept");
  const ratioBox = root.querySelector(".lw-ratio"), selector = root.querySelector(".lw-model");
  const state = { model: 0, last: null, kept: null, maxMs: 0 };

  const toLatent = (x, y, m) => [(x / plane.width * 2 - 1) * m.extent, (1 - y / plane.height * 2) * m.extent];
  const toCanvas = (z1, z2, m) => [(z1 / m.extent + 1) / 2 * plane.width, (1 - z2 / m.extent) / 2 * plane.height];

  function drawImage(canvas, pixels) {
    const small = document.createElement("canvas");
    small.width = small.height = 28;
    const ctx = small.getContext("2d"), img = ctx.createImageData(28, 28);
    for (let i = 0; i < 784; i++) {
      const grey = Math.round(255 * (1 - Math.min(1, Math.max(0, pixels[i]))));  // dark is ink, as in the figures
      img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = grey;
      img.data[4 * i + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
    const big = canvas.getContext("2d");
    big.imageSmoothingEnabled = false;
    big.drawImage(small, 0, 0, canvas.width, canvas.height);
  }

  function ratioLayer(m) {
    const n = m.ratio.size, off = document.createElement("canvas");
    off.width = off.height = n;
    const ctx = off.getContext("2d"), img = ctx.createImageData(n, n);
    for (let i = 0; i < n * n; i++) {
      const v = Math.max(-3, Math.min(3, m.ratioMap[i])) / 3;  // log10 q/p: blue denser, red sparser than the prior
      img.data[4 * i] = v < 0 ? 255 : Math.round(255 * (1 - v));
      img.data[4 * i + 1] = Math.round(255 * (1 - Math.abs(v)));
      img.data[4 * i + 2] = v > 0 ? 255 : Math.round(255 * (1 + v));
      img.data[4 * i + 3] = 150;
    }
    ctx.putImageData(img, 0, 0);
    return off;
  }

  function drawPlane() {
    const m = models[state.model], ctx = plane.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, plane.width, plane.height);
    if (ratioBox.checked && m.ratio) {
      const [x0, y0] = toCanvas(-m.ratio.extent, m.ratio.extent, m), [x1, y1] = toCanvas(m.ratio.extent, -m.ratio.extent, m);
      ctx.drawImage(ratioLayer(m), x0, y0, x1 - x0, y1 - y0);
    }
    for (let i = 0; i < m.n_points; i++) {
      const [x, y] = toCanvas(m.z[2 * i], m.z[2 * i + 1], m);
      ctx.fillStyle = data.colors[m.y[i] % data.colors.length];
      ctx.globalAlpha = 0.5;
      ctx.fillRect(x - 1, y - 1, 2, 2);
    }
    ctx.globalAlpha = 1;
    ctx.strokeStyle = "#888";
    const [cx, cy] = toCanvas(0, 0, m), [rx] = toCanvas(1, 0, m);
    ctx.beginPath(); ctx.arc(cx, cy, rx - cx, 0, 2 * Math.PI); ctx.stroke();  // one prior standard deviation
    for (const point of [state.kept, state.last]) {
      if (!point) continue;
      const [x, y] = toCanvas(point.z[0], point.z[1], m);
      ctx.strokeStyle = point === state.kept ? "#d55e00" : "#000";
      ctx.strokeRect(x - 4, y - 4, 8, 8);
    }
  }

  function decodeAt(z1, z2) {
    const started = performance.now();
    const pixels = decode(models[state.model], z1, z2);
    const ms = performance.now() - started;
    state.maxMs = Math.max(state.maxMs, ms);
    return { z: [z1, z2], pixels: pixels, ms: ms };
  }
  const caption = (p) => `z = (${p.z[0].toFixed(2)}, ${p.z[1].toFixed(2)}) · ${p.ms.toFixed(1)} ms`;

  function pointAt(event) {
    const box = plane.getBoundingClientRect();
    return toLatent((event.clientX - box.left) * plane.width / box.width, (event.clientY - box.top) * plane.height / box.height,
                    models[state.model]);
  }
  // Decode the point under the pointer into the live image (moving) or the kept one (clicking).
  function show(event, slot, canvas, captionClass, prefix) {
    const [z1, z2] = pointAt(event);
    state[slot] = decodeAt(z1, z2);
    drawImage(canvas, state[slot].pixels);
    root.querySelector(captionClass).textContent = prefix + caption(state[slot]);
    drawPlane();
  }
  plane.addEventListener("mousemove", (event) => show(event, "last", live, ".lw-live-caption", "under the pointer: "));
  plane.addEventListener("click", (event) => show(event, "kept", kept, ".lw-kept-caption", "kept: "));
  function select(index) {
    state.model = index;
    state.last = state.kept = null;
    root.querySelector(".lw-error").textContent = models[index].quantisation_error.toPrecision(2);
    ratioBox.disabled = !models[index].ratio;
    drawPlane();
  }
  selector.addEventListener("change", () => select(Number(selector.value)));
  ratioBox.addEventListener("change", drawPlane);
  if (models.length < 2) selector.parentElement.hidden = true;
  root.querySelector(".lw-legend").innerHTML = data.classNames.map((name, i) =>
    `<span class="lw-key"><i style="background:${data.colors[i % data.colors.length]}"></i>${name}</span>`).join(" ");

  // For tests and the curious: decode any point, read what the page last drew, map latent to canvas pixels.
  window.vaereportLatent = {
    decode: (z1, z2) => Array.from(decode(models[state.model], z1, z2)),
    toCanvas: (z1, z2) => toCanvas(z1, z2, models[state.model]),
    state: () => ({ model: state.model, maxMs: state.maxMs, last: state.last && { z: state.last.z, ms: state.last.ms,
                                                                                 pixels: Array.from(state.last.pixels) } }),
    select: select,
    models: models.map((m) => ({ label: m.label, extent: m.extent, quantisationError: m.quantisation_error })),
  };
  root.hidden = false;
  select(0);
})();

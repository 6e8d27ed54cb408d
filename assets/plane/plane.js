// The latent plane as one st.components.v2 component (issue 14): a Canvas 2D plane of posteriors
// that decodes z under the pointer in the browser, at display rate, with no message to the server.
//
// vae_geom/ui/plane.py prepends assets/plane/decode.js (the maths, tested against torch) to this
// file and mounts it twice per plane:
//   - with `data` = bytes (vae_geom.payload.plane_payload): the model, the training posteriors and
//     images, and the drawn samples. Sent once per model: this module ignores a payload whose
//     meta.id it already holds, and Python's later runs send its stub (the header alone, marked
//     "stub"); a stub of a payload this page does not hold (the module was loaded again, or
//     dropped it for newer ones) is answered with the trigger "need", and Python sends it whole;
//   - assets/plane/state.js, a separate tiny component, carries JSON {plane, z, k, marks, link,
//     texts}: the small state Python owns (the pinned z from a link or the number inputs, 1σ or
//     2σ, the page's marks, the words in the session's language), kept apart so that a new z
//     re-sends neither the megabyte above nor this script.
// A click pins z and sends {x, y, t} back as the trigger "click" (the same event the plotly
// listener sent, so vae_geom/ui/inbound.py bounds it the same way).
//
// Two canvases: `base` holds the ellipses (redrawn only when the model, k or the size changes,
// ~50 ms for 5,000 ellipses); `over` holds the cursor, the pinned z and the ellipses that claim z,
// redrawn each frame. Streamlit keeps this module loaded across reruns, so state lives here.

const planes = new Map(); // plane key -> Plane
const states = new Map(); // plane key -> the latest {z, k} Python sent
const MORPH_MS = 600; // a change of β animates the ellipses for this long
const PARSED_MAX = 4; // payloads a plane keeps parsed: going back to a rung seen is a redraw only
const NEED_MS = 3000; // a stub's payload asked for at most this often
const inflated = new Map(); // training images by digest, shared by every plane and rung
const TOP = 5; // posteriors shown under the decoded image (probe.probe's top)
const MARGIN = { left: 44, right: 12, top: 10, bottom: 38 };
const LEGEND_W = 132;
const BIG = 1.4; // presentation mode (the lesson's): the plane's texts, margins and legend this much larger
// for benchmarks and tests: frame times and the plane objects, read with page.evaluate; each
// list keeps its last STATS_MAX entries (hover adds one per frame while the pointer moves)
const STATS_MAX = 1000;
const stats = (window.__vaeGeomPlane = { planes, hover: [], frames: [], draws: [], needs: [] });
function note(list, entry) {
  list.push(entry);
  if (list.length > STATS_MAX) list.splice(0, list.length - STATS_MAX);
}

const STYLE = `
.vg { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; font: 14px/1.35 "Source Sans Pro", "Source Sans 3", "Noto Sans CJK SC", sans-serif; color: #262730; }
.vg-stage { position: relative; flex: none; }
.vg-stage canvas { position: absolute; left: 0; top: 0; }
.vg-over { cursor: crosshair; outline: none; }
.vg-over:focus-visible { outline: 3px solid #1f77b4; outline-offset: 2px; }
.vg-panel { flex: 1 1 230px; min-width: 230px; max-width: 360px; }
.vg-pair { display: flex; gap: 10px; }
.vg-pair figure, .vg-thumbs figure { margin: 0; text-align: center; }
.vg-pair canvas { width: 112px; height: 112px; image-rendering: pixelated; border: 1px solid #ccc; background: #000; }
.vg-thumbs { display: flex; gap: 6px; flex-wrap: wrap; }
.vg-thumbs canvas { width: 52px; height: 52px; image-rendering: pixelated; border: 1px solid #ccc; }
figcaption { font-size: 12px; color: #555; max-width: 120px; }
.vg-readout { font-weight: 600; margin: 6px 0 2px; font-variant-numeric: tabular-nums; }
.vg-where { margin: 2px 0 6px; }
.vg-hint { color: #555; font-size: 13px; margin: 4px 0; }
.vg-buttons button { font: inherit; font-size: 13px; margin: 6px 6px 0 0; padding: 3px 10px; border: 1px solid #bbb; border-radius: 6px; background: #fff; cursor: pointer; }
.vg-error { color: #a00; }
.vg-frames[hidden] { display: none; }
.vg-frames { display: flex; align-items: center; gap: 8px; margin-top: 4px; }
.vg-frames input { flex: 1; }
.vg.vg-big { font-size: 19px; }
.vg-big figcaption { font-size: 16px; max-width: 150px; }
.vg-big .vg-hint, .vg-big .vg-buttons button { font-size: 17px; }
.vg-big .vg-pair canvas { width: 140px; height: 140px; }
.vg-big .vg-thumbs canvas { width: 64px; height: 64px; }
.vg-frames button { font: inherit; padding: 2px 10px; border: 1px solid #bbb; border-radius: 6px; background: #fff; cursor: pointer; }
`;

function fill(text, values) {
  return String(text).replace(/\{(\w+)\}/g, (m, k) => (k in values ? values[k] : m));
}

function fmt(v, digits = 2) {
  return (v < 0 ? "−" : "+") + Math.abs(v).toFixed(digits);
}

// A grey image (values in [0, 1], or 0-255 with scale 1) into a small canvas, pixel for pixel.
function paintGrey(canvas, values, h, w, scale = 255) {
  if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(w, h);
  for (let i = 0; i < h * w; i++) {
    const g = Math.max(0, Math.min(255, Math.round(values[i] * scale)));
    img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = g;
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

class Plane {
  constructor(key, send) {
    this.key = key;
    this.send = send;
    this.data = null; // parsePlane's result
    this.mu = null; // what is drawn now (morphs between payloads)
    this.sigma = null;
    this.k = 1;
    this.fs = 1; // the size of the canvas's texts (BIG in presentation mode)
    this.pinned = null; // [z1, z2]
    this.cursor = null; // under the pointer, or moved by the keys
    this.pending = false;
    this.el = document.createElement("div");
    this.el.className = "vg";
    this.el.innerHTML = `
      <div class="vg-left"><div class="vg-stage"><canvas class="vg-base"></canvas><canvas class="vg-over" tabindex="0" role="img"></canvas></div>
        <div class="vg-frames" hidden><button class="vg-play" type="button"></button><input class="vg-epoch" type="range" min="0" step="1"><span class="vg-epoch-label"></span></div></div>
      <div class="vg-panel">
        <div class="vg-pair">
          <figure><canvas class="vg-decoded"></canvas><figcaption class="vg-cap-decoded"></figcaption></figure>
          <figure class="vg-blend-fig"><canvas class="vg-blend"></canvas><figcaption class="vg-cap-blend"></figcaption></figure>
        </div>
        <p class="vg-readout" aria-live="polite"></p>
        <p class="vg-where"></p>
        <div class="vg-thumbs"></div>
        <p class="vg-hint"></p>
        <div class="vg-buttons"><button class="vg-png"></button><button class="vg-csv"></button></div>
      </div>`;
    const q = (c) => this.el.querySelector(c);
    Object.assign(this, {
      base: q(".vg-base"), over: q(".vg-over"), stage: q(".vg-stage"), decoded: q(".vg-decoded"),
      blendCanvas: q(".vg-blend"), blendFig: q(".vg-blend-fig"), readout: q(".vg-readout"),
      where: q(".vg-where"), thumbs: q(".vg-thumbs"), hint: q(".vg-hint"),
    });
    this.over.addEventListener("pointermove", (e) => this.pointer(e));
    this.over.addEventListener("pointerleave", () => this.moveTo(null));
    this.over.addEventListener("pointerdown", (e) => { this.pointer(e); if (this.cursor) this.pin(this.cursor); });
    this.over.addEventListener("keydown", (e) => this.key_(e));
    q(".vg-png").addEventListener("click", () => this.downloadPng());
    this.epochInput = q(".vg-epoch");
    this.epochInput.addEventListener("input", () => { this.stopPlay(); this.showFrame(Number(this.epochInput.value)); });
    q(".vg-play").addEventListener("click", () => (this.playing ? this.stopPlay() : this.play()));
    q(".vg-csv").addEventListener("click", () => this.downloadCsv());
    this.resizer = new ResizeObserver(() => this.layout());
  }

  attach(parent) {
    if (this.el.parentNode !== parent) {
      if (!parent.querySelector("style.vg-style")) {
        const style = document.createElement("style");
        style.className = "vg-style";
        style.textContent = STYLE;
        parent.appendChild(style);
      }
      parent.appendChild(this.el);
      this.resizer.disconnect();
      this.resizer.observe(this.el);
    }
  }

  // Resolves true once the payload is drawn (or was already), false if only its stub came and
  // the bytes were asked for.
  async load(bytes) {
    const t0 = performance.now();
    const head = headerOf(bytes);
    const id = head.meta.id;
    if (this.data && this.data.meta.id === id) return true; // a rerun's copy: nothing to do
    this.parsed = this.parsed || new Map();
    let data = this.parsed.get(id);
    if (!data && head.stub) {
      const now = Date.now(); // ask once per NEED_MS: a lost answer is asked again, no faster
      if (!(this.asked && this.asked.id === id && now - this.asked.at < NEED_MS)) {
        this.asked = { id, at: now };
        note(stats.needs, { key: this.key, id });
        this.send("need", { id, t: now });
      }
      return false;
    }
    if (!data) {
      const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      data = await parsePlane(buffer, inflated);
    }
    this.parsed.delete(id); // most recent last
    this.parsed.set(id, data);
    while (this.parsed.size > PARSED_MAX) this.parsed.delete(this.parsed.keys().next().value);
    const old = this.data;
    this.data = data;
    this.texts = this.stateTexts || {};
    this.classIndex = new Map((data.meta.classes || []).map((c, i) => [c.label, i]));
    this.applyTexts();
    this.blendFig.style.display = data.meta.is_ae ? "none" : "";
    this.setupFrames();
    const same = old && old.meta.order && old.meta.order === data.meta.order && old.shown.n === data.shown.n;
    if (same && this.mu) {
      this.layout();
      this.morph(this.mu, this.sigma, data.shown.mu, data.shown.sigma);
    } else {
      this.mu = data.shown.mu; this.sigma = data.shown.sigma;
      this.morphing = null;
      this.layout();
      this.drawBase();
    }
    note(stats.draws, { key: this.key, ms: performance.now() - t0, n: data.shown.n, morph: !!same });
    this.schedule();
    document.dispatchEvent(new CustomEvent("vae-geom-plane-ready", { detail: this.key }));
    return true;
  }

  // The words Python sends with the state, in the session's language (a switch redraws them).
  applyTexts() {
    const T = this.texts || {};
    this.over.setAttribute("aria-label", T.aria || "latent plane");
    this.el.querySelector(".vg-png").textContent = T.png || "PNG";
    this.el.querySelector(".vg-csv").textContent = T.csv || "CSV";
    this.hint.textContent = T.hint || "";
    this.thumbKey = null;
    if (this.data && this.data.frames && this.frameIndex != null) { this.stopPlay(); this.labelFrame(); }
  }

  setState(s) {
    if (!s) return;
    const texts = s.texts && typeof s.texts === "object" ? s.texts : {};
    if (JSON.stringify(texts) !== JSON.stringify(this.stateTexts || {})) {
      this.stateTexts = texts;
      if (this.data) { this.texts = texts; this.applyTexts(); this.drawBase(); }
    }
    const fs = s.big === true ? BIG : 1;
    if (fs !== this.fs) {
      this.fs = fs;
      this.el.classList.toggle("vg-big", fs !== 1);
      this.cssW = null; // lay out again: margins and legend grow with the text
      this.layout();
    }
    const k = s.k === 2 ? 2 : 1;
    const z = Array.isArray(s.z) && s.z.length === 2 && s.z.every(Number.isFinite) ? s.z : null;
    if (k !== this.k) { this.k = k; if (this.data) this.drawBase(); }
    this.pinned = z;
    this.marks = Array.isArray(s.marks) ? s.marks.slice(0, 64) : [];
    this.link = typeof s.link === "string" ? s.link : null;
    this.report = s.report !== false; // false: a pin stays in the browser (nothing to tell Python)
    this.schedule();
  }

  // Planes in one link group (Points vs ellipses: the AE's and the VAE's) share the cursor, so
  // one pointer decodes the same z with both models side by side.
  linked() {
    return this.link ? [...planes.values()].filter((p) => p !== this && p.link === this.link) : [];
  }

  moveTo(z) {
    this.cursor = z;
    this.schedule();
    for (const p of this.linked()) { p.cursor = z; p.eventTime = undefined; p.schedule(); }
  }

  // A replay: a slider over the epochs recorded (and a play button) below the plane. The decoder
  // sent is the last epoch's, so z decodes only on the last frame: earlier frames say so.
  setupFrames() {
    const f = this.data.frames, box = this.el.querySelector(".vg-frames");
    this.stopPlay();
    box.hidden = !f;
    if (!f) { this.frameIndex = null; return; }
    this.frameIndex = f.epochs.length - 1;
    this.epochInput.max = String(this.frameIndex);
    this.epochInput.value = String(this.frameIndex);
    this.epochInput.setAttribute("aria-label", this.texts.epoch_aria || "epoch");
    this.el.querySelector(".vg-play").textContent = this.texts.play || "▶";
    this.labelFrame();
  }

  labelFrame() {
    const e = this.data.frames.epochs[this.frameIndex];
    this.el.querySelector(".vg-epoch-label").textContent = fill(this.texts.epoch || "epoch {epoch}", { epoch: e });
  }

  frameArrays(i) {
    const n2 = this.data.shown.n * 2, f = this.data.frames;
    return [f.mu.subarray(i * n2, (i + 1) * n2), f.sigma.subarray(i * n2, (i + 1) * n2)];
  }

  showFrame(i, animate = false) {
    const f = this.data.frames;
    if (!f) return;
    i = Math.max(0, Math.min(f.epochs.length - 1, i | 0));
    this.frameIndex = i;
    this.epochInput.value = String(i);
    this.labelFrame();
    const [mu, sigma] = this.frameArrays(i);
    if (animate && this.mu) this.morph(this.mu, this.sigma, mu, sigma, 220);
    else { this.morphing = null; this.mu = mu; this.sigma = sigma; this.drawBase(); }
    this.schedule();
  }

  play() {
    const f = this.data.frames;
    if (!f) return;
    if (this.frameIndex >= f.epochs.length - 1) this.showFrame(0);
    this.playing = setInterval(() => {
      if (this.frameIndex >= f.epochs.length - 1) return this.stopPlay();
      this.showFrame(this.frameIndex + 1, true);
    }, 260);
    this.el.querySelector(".vg-play").textContent = this.texts.pause || "❚❚";
  }

  stopPlay() {
    if (this.playing) clearInterval(this.playing);
    this.playing = null;
    const b = this.el.querySelector(".vg-play");
    if (b && this.texts) b.textContent = this.texts.play || "▶";
  }

  // The margins around the plot: room for the tick labels and axis titles at the text's size.
  margin() {
    const f = this.fs;
    return { left: MARGIN.left * f, right: MARGIN.right, top: MARGIN.top, bottom: MARGIN.bottom * f };
  }

  // Size: a square plane as wide as the column allows, but never taller than ~70% of the window
  // (the projector's 1280 × 720 shows the plane and its panel without scrolling).
  layout() {
    const width = this.el.clientWidth || 600;
    const M = this.margin(), L = LEGEND_W * this.fs, panel = 250 * this.fs;
    // the panel beside the plane if a plane of 280 px still fits, else under it (the plane takes
    // the whole width: presentation mode in the lesson's narrow column)
    const room = width - panel - L >= 280 ? width - panel : width;
    this.under = room === width; // the panel goes under the plane (see panel())
    // the stage is as wide as `room`: its width is the plot's plus the side margins and the
    // legend, its height (`side`) the plot's plus the top and bottom margins (sized by height
    // alone, it came out 8 px wider than the room left, and the panel wrapped under the plane)
    const widest = room - L - M.left - M.right + M.top + M.bottom;
    const side = Math.floor(Math.max(280, Math.min(widest, window.innerHeight * 0.58, 640)));
    const P = side - M.top - M.bottom; // the plot area: a square, 1:1 latent units
    const w = M.left + P + M.right + L, h = side;
    const R = (this.data && this.data.meta.range) || 4;
    if (this.cssW !== w || this.cssH !== h) {
      this.cssW = w; this.cssH = h;
      const dpr = window.devicePixelRatio || 1;
      this.stage.style.width = `${w}px`; this.stage.style.height = `${h}px`;
      for (const c of [this.base, this.over]) {
        c.width = Math.round(w * dpr); c.height = Math.round(h * dpr);
        c.style.width = `${w}px`; c.style.height = `${h}px`;
        c.getContext("2d").setTransform(dpr, 0, 0, dpr, 0, 0);
      }
    } else if (this.R === R) return; // nothing changed
    this.R = R; // the plot is square: ±R on both axes
    this.scale = P / (2 * R); // px per latent unit, the same on both axes
    this.plot = { x0: M.left, y0: M.top, w: P, h: P };
    this.ox = M.left + P / 2;
    this.oy = M.top + P / 2;
    if (this.data) this.drawBase();
    this.schedule();
  }

  px(z1, z2) { return [this.ox + z1 * this.scale, this.oy - z2 * this.scale]; }
  zOf(x, y) { return [(x - this.ox) / this.scale, (this.oy - y) / this.scale]; }

  // The plane's base layer: axes, the ellipses and μ of every drawn sample, the prior's circles,
  // the legend. (Drawing a morph's frames at half resolution was measured not to help: 28.7 fps
  // against 29.9 sharp, side by side; the frames lost are the main thread's, which Streamlit's
  // rendering of the same rerun shares, not the rasteriser's.)
  drawBase() {
    if (!this.data || !this.mu || !this.plot) return; // before the first payload is in
    const t0 = performance.now();
    const ctx = this.base.getContext("2d");
    const { meta } = this.data;
    const classes = meta.classes || [];
    const { x0, y0, w, h } = this.plot;
    ctx.clearRect(0, 0, this.cssW, this.cssH);
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, this.cssW, this.cssH);
    this.drawAxes(ctx);
    ctx.save();
    ctx.beginPath(); ctx.rect(x0, y0, w, h); ctx.clip();
    this.drawCodes(ctx, classes, () => this.drawPrior(ctx));
    ctx.restore();
    // codes beyond the frame: a grey tick on the border where they leave it
    const mu = this.mu;
    ctx.fillStyle = "#444";
    for (let i = 0; i < this.data.shown.n; i++) {
      const z1 = mu[2 * i], z2 = mu[2 * i + 1];
      if (Math.abs(z1) <= this.R && Math.abs(z2) <= this.R) continue;
      const [x, y] = this.px(Math.max(-this.R, Math.min(this.R, z1)), Math.max(-this.R, Math.min(this.R, z2)));
      ctx.fillRect(x - 2, y - 2, 4, 4);
    }
    this.drawLegend(ctx, classes);
    note(stats.frames, performance.now() - t0);
  }

  // The drawn samples: each class's ellipses as one translucent path (a VAE), then every μ as a
  // small square (an AE's point is all it has). `between` runs between the two (the prior's
  // circles go over the ellipses, under the μ).
  drawCodes(ctx, classes, between) {
    const { meta, shown } = this.data;
    const mu = this.mu, sigma = this.sigma, k = this.k, s = this.scale;
    const byClass = classes.map(() => []);
    for (let i = 0; i < shown.n; i++) {
      const c = this.classIndex.get(shown.labels[i]);
      (byClass[c === undefined ? 0 : c] || byClass[0]).push(i);
    }
    const outline = shown.n <= (meta.outline_max || 2000);
    if (!meta.is_ae) {
      classes.forEach((cls, c) => {
        ctx.beginPath();
        for (const i of byClass[c]) {
          const [x, y] = this.px(mu[2 * i], mu[2 * i + 1]);
          const rx = Math.max(0.3, k * sigma[2 * i] * s), ry = Math.max(0.3, k * sigma[2 * i + 1] * s);
          ctx.moveTo(x + rx, y);
          ctx.ellipse(x, y, rx, ry, 0, 0, 2 * Math.PI);
        }
        ctx.globalAlpha = 0.22; ctx.fillStyle = cls.colour; ctx.fill();
        if (outline) { ctx.globalAlpha = 0.55; ctx.lineWidth = 0.7; ctx.strokeStyle = cls.colour; ctx.stroke(); }
        ctx.globalAlpha = 1;
      });
    }
    between();
    const dot = meta.is_ae ? 2 : 1.2; // μ: small beside its ellipse; an AE's point is all it has
    classes.forEach((cls, c) => {
      ctx.fillStyle = cls.colour;
      for (const i of byClass[c]) {
        const [x, y] = this.px(mu[2 * i], mu[2 * i + 1]);
        ctx.fillRect(x - dot, y - dot, 2 * dot, 2 * dot);
      }
    });
  }

  // the prior N(0, I) at 1σ and 2σ
  drawPrior(ctx) {
    ctx.strokeStyle = "#000"; ctx.lineWidth = 1.6;
    for (const [r, dash] of [[1, []], [2, [6, 4]]]) {
      ctx.setLineDash(dash); ctx.beginPath(); ctx.arc(this.ox, this.oy, r * this.scale, 0, 2 * Math.PI); ctx.stroke();
    }
    ctx.setLineDash([]);
  }

  drawAxes(ctx) {
    const { x0, y0, w, h } = this.plot;
    const f = this.fs;
    ctx.strokeStyle = "#e6e6e6"; ctx.lineWidth = 1;
    ctx.fillStyle = "#444"; ctx.font = `${12 * f}px sans-serif`;
    const step = this.R > 6 ? 2 : 1;
    for (let v = -Math.floor(this.R / step) * step; v <= this.R; v += step) {
      const [x, y] = this.px(v, v); // the grid line and tick at v on each axis
      ctx.beginPath(); ctx.moveTo(x, y0); ctx.lineTo(x, y0 + h); ctx.stroke();
      ctx.textAlign = "center"; ctx.fillText(String(v).replace("-", "−"), x, y0 + h + 14 * f);
      ctx.beginPath(); ctx.moveTo(x0, y); ctx.lineTo(x0 + w, y); ctx.stroke();
      ctx.textAlign = "right"; ctx.fillText(String(v).replace("-", "−"), x0 - 6, y + 4 * f);
    }
    ctx.strokeStyle = "#999"; ctx.strokeRect(x0, y0, w, h);
    ctx.font = `italic ${14 * f}px serif`; ctx.fillStyle = "#222";
    ctx.textAlign = "center"; ctx.fillText((this.texts && this.texts.x) || "z₁", x0 + w / 2, y0 + h + 32 * f);
    ctx.save(); ctx.translate(14 * f, y0 + h / 2); ctx.rotate(-Math.PI / 2);
    ctx.fillText((this.texts && this.texts.y) || "z₂", 0, 0); ctx.restore();
  }

  drawLegend(ctx, classes) {
    const title = this.texts.legend_title !== undefined ? this.texts.legend_title : this.data.meta.legend;
    // its rows at the text's size, shrunk if that would run past the plane's bottom (ten classes
    // in presentation mode on a short plane)
    const rows = (title ? 18 : 0) + 17 * (classes.length + 2) + 12;
    const f = Math.min(this.fs, (this.cssH - MARGIN.top) / rows), line = 17 * f, box = 10 * f;
    const x = this.cssW - LEGEND_W * this.fs + 10;
    let y = MARGIN.top + 6 * f;
    ctx.font = `${12 * f}px sans-serif`; ctx.textAlign = "left";
    if (title) { ctx.fillStyle = "#222"; ctx.fillText(String(title).slice(0, 20), x, y + 4 * f); y += 18 * f; }
    const names = Array.isArray(this.texts.classes) && this.texts.classes.length === classes.length ? this.texts.classes : null;
    classes.forEach((cls, i) => {
      ctx.fillStyle = cls.colour; ctx.fillRect(x, y - box / 2, box, box);
      ctx.fillStyle = "#222"; ctx.fillText(String(names ? names[i] : cls.name).slice(0, 17), x + box + 6, y + 4 * f);
      y += line;
    });
    y += 6;
    ctx.strokeStyle = "#000"; ctx.lineWidth = 1.6;
    for (const [dash, label] of [[[], this.texts.prior1], [[6, 4], this.texts.prior2]]) {
      if (!label) continue;
      ctx.setLineDash(dash); ctx.beginPath(); ctx.moveTo(x, y); ctx.lineTo(x + 12 * f, y); ctx.stroke();
      ctx.setLineDash([]); ctx.fillStyle = "#222"; ctx.fillText(label, x + 16 * f, y + 4 * f); y += line;
    }
  }

  // A change of model on the same samples (a β rung, trained aligned with its neighbour): μ moves
  // linearly and σ geometrically, as figures.coverage.interpolate_posteriors does on the server.
  morph(mu0, sig0, mu1, sig1, ms = MORPH_MS) {
    const n = mu1.length, mu = new Float32Array(n), sigma = new Float32Array(n);
    const start = performance.now();
    const token = (this.morphing = {});
    const step = (now) => {
      if (this.morphing !== token) return;
      const t = Math.min(1, (now - start) / ms);
      const e = t * t * (3 - 2 * t); // ease in and out
      for (let i = 0; i < n; i++) {
        mu[i] = mu0[i] + e * (mu1[i] - mu0[i]);
        sigma[i] = sig0[i] > 0 && sig1[i] > 0 ? sig0[i] * Math.pow(sig1[i] / sig0[i], e) : sig0[i] + e * (sig1[i] - sig0[i]);
      }
      this.mu = mu; this.sigma = sigma;
      this.drawBase();
      if (t < 1) requestAnimationFrame(step);
      else { this.mu = mu1; this.sigma = sig1; this.drawBase(); this.morphing = null; }
    };
    requestAnimationFrame(step);
  }

  pointer(e) {
    const rect = this.over.getBoundingClientRect();
    const x = e.clientX - rect.left, y = e.clientY - rect.top;
    const { x0, y0, w, h } = this.plot;
    this.eventTime = e.timeStamp;
    this.moveTo(x >= x0 && x <= x0 + w && y >= y0 && y <= y0 + h ? this.zOf(x, y) : null);
  }

  key_(e) {
    const steps = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
    if (steps[e.key]) {
      const d = e.shiftKey ? 0.5 : 0.1;
      const z = this.cursor || this.pinned || [0, 0];
      const clamp = (v, r) => Math.max(-r, Math.min(r, v));
      this.moveTo([clamp(z[0] + d * steps[e.key][0], this.R), clamp(z[1] + d * steps[e.key][1], this.R)]);
      e.preventDefault();
    } else if ((e.key === "Enter" || e.key === " ") && (this.cursor || this.pinned)) {
      this.pin(this.cursor || this.pinned);
      e.preventDefault();
    }
  }

  pin(z) {
    this.pinned = [z[0], z[1]];
    this.schedule();
    for (const p of this.linked()) { p.pinned = this.pinned; p.schedule(); }
    if (this.report === false) return;
    this.send("click", { x: z[0], y: z[1], chart: this.key, t: Date.now() }); // t: repeats count
  }

  schedule() {
    if (this.pending || !this.data) return;
    this.pending = true;
    requestAnimationFrame((now) => { this.pending = false; this.frame(now); });
  }

  // One display frame: the overlay and the panel for the z under the pointer (or the pinned z).
  frame(now) {
    const z = this.cursor || this.pinned;
    const ctx = this.over.getContext("2d");
    ctx.clearRect(0, 0, this.cssW, this.cssH);
    const early = this.data.frames && this.frameIndex !== this.data.frames.epochs.length - 1;
    const info = z && !early ? this.probe(z) : null;
    if (info && info.top.length && !this.data.meta.is_ae) {
      ctx.strokeStyle = "#111"; ctx.lineWidth = 1.5;
      const t = this.data.train;
      for (const i of info.top) {
        const [x, y] = this.px(t.mu[2 * i], t.mu[2 * i + 1]);
        ctx.beginPath();
        ctx.ellipse(x, y, Math.max(1, 2 * t.sigma[2 * i] * this.scale), Math.max(1, 2 * t.sigma[2 * i + 1] * this.scale), 0, 0, 2 * Math.PI);
        ctx.stroke();
      }
    }
    this.drawMarks(ctx);
    if (this.pinned) this.cross(ctx, this.pinned, "#d00", 9, 3);
    if (this.cursor) this.cross(ctx, this.cursor, "#111", 7, 1.5);
    this.panel(z, info);
    if (this.cursor && this.eventTime !== undefined) {
      note(stats.hover, { compute: performance.now() - now, sinceEvent: now - this.eventTime });
      this.eventTime = undefined;
    }
  }

  // What a page marks on its plane (Python sends them with the state): "ellipse" (z: its centre,
  // sigma: its semi-axes, k: how many σ), "path" (z: points joined by a line), "points" (z: dots,
  // each coloured by colours[i] if given), "star" (z: one point). Bounded: 64 marks of at most
  // 1,024 points each are drawn, whatever arrives.
  drawMarks(ctx) {
    for (const m of this.marks || []) {
      const pts = (Array.isArray(m.z) ? (Array.isArray(m.z[0]) ? m.z : [m.z]) : []).slice(0, 1024)
        .filter((p) => Array.isArray(p) && Number.isFinite(p[0]) && Number.isFinite(p[1]));
      if (!pts.length) continue;
      const colour = typeof m.colour === "string" ? m.colour : "#d00";
      ctx.strokeStyle = ctx.fillStyle = colour; ctx.lineWidth = 2.5; ctx.setLineDash([]);
      if (m.kind === "ellipse" && Array.isArray(m.sigma)) {
        const [x, y] = this.px(pts[0][0], pts[0][1]), kk = Number(m.k) || 1;
        ctx.beginPath();
        ctx.ellipse(x, y, Math.max(1, kk * m.sigma[0] * this.scale), Math.max(1, kk * m.sigma[1] * this.scale), 0, 0, 2 * Math.PI);
        ctx.stroke();
      } else if (m.kind === "path") {
        ctx.beginPath();
        pts.forEach((p, i) => { const [x, y] = this.px(p[0], p[1]); if (i) ctx.lineTo(x, y); else ctx.moveTo(x, y); });
        ctx.stroke();
      }
      if (m.kind === "points" || m.kind === "path") {
        pts.forEach((p, i) => {
          const [x, y] = this.px(p[0], p[1]);
          ctx.fillStyle = (Array.isArray(m.colours) && typeof m.colours[i] === "string") ? m.colours[i] : colour;
          ctx.beginPath(); ctx.arc(x, y, pts.length > 200 ? 2.5 : 4, 0, 2 * Math.PI); ctx.fill();
        });
      } else if (m.kind === "star") {
        const [x, y] = this.px(pts[0][0], pts[0][1]);
        ctx.beginPath();
        for (let i = 0; i < 10; i++) {
          const r = i % 2 ? 4 : 10, a = -Math.PI / 2 + (i * Math.PI) / 5;
          ctx.lineTo(x + r * Math.cos(a), y + r * Math.sin(a));
        }
        ctx.closePath(); ctx.fill(); ctx.strokeStyle = "#000"; ctx.lineWidth = 1; ctx.stroke();
      }
      if (typeof m.label === "string" && m.label) {
        const [x, y] = this.px(pts[0][0], pts[0][1]);
        ctx.fillStyle = "#000"; ctx.font = `bold ${13 * this.fs}px sans-serif`; ctx.textAlign = "left";
        ctx.fillText(m.label.slice(0, 40), x + 8, y - 8);
      }
    }
  }

  cross(ctx, z, colour, r, width) {
    const [x, y] = this.px(z[0], z[1]);
    ctx.strokeStyle = colour; ctx.lineWidth = width;
    ctx.beginPath(); ctx.moveTo(x - r, y); ctx.lineTo(x + r, y); ctx.moveTo(x, y - r); ctx.lineTo(x, y + r); ctx.stroke();
  }

  // What vae_geom.probe.probe computes on the server, here for every frame.
  probe(z) {
    const { layers, train, meta } = this.data;
    const image = decode(layers, z[0], z[1], this.image);
    this.image = image;
    const density = Math.exp(-0.5 * (z[0] * z[0] + z[1] * z[1])) / (2 * Math.PI);
    if (meta.is_ae) return { z, image, density, top: [], weights: [], inside: 0, near: nearest(z, train.mu, 3) };
    const r = responsibilities(z, train.mu, train.sigma);
    const top = topK(r, TOP).filter((i) => r[i] >= 0.01);
    const claimed = top.length > 0 || r.some((v) => v > 0);
    const mix = train.images && claimed ? blend(r, train.images, image.length, this.mix) : null;
    this.mix = mix || this.mix;
    return { z, image, density, top, weights: top.map((i) => r[i]), inside: coveredBy(z, train.mu, train.sigma, 2), mix };
  }

  panel(z, info) {
    const T = this.texts, [h, w] = this.data.meta.image_shape;
    const pair = this.el.querySelector(".vg-pair");
    pair.style.visibility = info ? "" : "hidden";
    // Beside the plane, the empty pair keeps its room so that the text under it does not jump
    // at each hover; under the plane, that room was a blank band between the plane and its text,
    // so there it takes none until there is a z to show.
    pair.style.display = info || !this.under ? "" : "none";
    if (!info) {
      const early = this.data.frames && this.frameIndex !== this.data.frames.epochs.length - 1;
      this.readout.textContent = (early ? T.frame_note : T.idle) || "";
      this.where.textContent = "";
      this.thumbs.replaceChildren();
      return;
    }
    paintGrey(this.decoded, info.image, h, w);
    this.el.querySelector(".vg-cap-decoded").textContent = T.decoded || "decoder(z)";
    const state = z === this.pinned && !this.cursor ? T.pinned || "" : "";
    this.readout.textContent = fill(T.readout || "z = ({z1}, {z2}) · p(z) = {p}", {
      z1: fmt(z[0]), z2: fmt(z[1]), p: info.density.toPrecision(3), norm: Math.hypot(z[0], z[1]).toFixed(2),
    }) + (state ? ` ${state}` : "");
    let captions;
    let idx;
    if (this.data.meta.is_ae) {
      this.where.textContent = T.ae || "";
      idx = info.near.idx;
      captions = info.near.dist.map((d, j) => fill(T.near || "#{i}: {d} away", { i: idx[j], d: d.toFixed(2) }));
    } else {
      this.where.textContent = info.inside
        ? fill(info.inside === 1 ? T.inside1 : T.insideN, { n: info.inside.toLocaleString("en") })
        : T.hole || "";
      idx = info.top;
      captions = info.weights.map((r, j) => fill(T.claim || "#{i}: r = {r}", { i: idx[j], r: r.toFixed(2) }));
      if (info.mix) paintGrey(this.blendCanvas, info.mix, h, w);
      this.el.querySelector(".vg-cap-blend").textContent = info.mix ? T.blend || "" : T.no_images || "";
      this.blendCanvas.style.display = info.mix ? "" : "none"; // no images sent: only the note
    }
    this.thumbnails(idx, captions, h, w);
  }

  thumbnails(idx, captions, h, w) {
    const images = this.data.train.images;
    const key = images ? idx.join(",") + captions.join("|") : captions.join("|");
    if (key === this.thumbKey) return;
    this.thumbKey = key;
    const figs = idx.map((i, j) => {
      const fig = document.createElement("figure");
      if (images) {
        const c = document.createElement("canvas");
        paintGrey(c, images.subarray(i * h * w, (i + 1) * h * w), h, w, 1);
        fig.appendChild(c);
      }
      const cap = document.createElement("figcaption");
      cap.textContent = captions[j];
      fig.appendChild(cap);
      return fig;
    });
    this.thumbs.replaceChildren(...figs);
  }

  save(blob, name) {
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }

  downloadPng() {
    const c = document.createElement("canvas");
    c.width = this.base.width; c.height = this.base.height;
    const ctx = c.getContext("2d");
    ctx.drawImage(this.base, 0, 0);
    ctx.drawImage(this.over, 0, 0);
    c.toBlob((b) => this.save(b, `${this.data.meta.filename || "latent-plane"}.png`), "image/png");
  }

  downloadCsv() {
    const { shown, meta } = this.data;
    const rows = ["index,label,mu1,mu2,sigma1,sigma2"];
    for (let i = 0; i < shown.n; i++) {
      rows.push([i, shown.labels[i], shown.mu[2 * i], shown.mu[2 * i + 1], shown.sigma[2 * i], shown.sigma[2 * i + 1]].join(","));
    }
    this.save(new Blob([rows.join("\n") + "\n"], { type: "text/csv" }), `${meta.filename || "codes"}.csv`);
  }
}

// Python's fallback (two number inputs and a note) sits in a container keyed `<plane>-fallback`;
// once the plane has drawn, a page-wide style hides it. If this module never runs (an old
// browser, a script error), nothing hides it and the page still works through the server.
function hideFallback(key) {
  const id = `vg-hide-${key}`;
  if (document.getElementById(id)) return;
  const style = document.createElement("style");
  style.id = id;
  // Streamlit's class for a key: st-key- + the key with every other character made "-"
  const cls = `st-key-${`${key}-fallback`.trim().replaceAll(/[^a-zA-Z0-9_-]/g, "-")}`;
  style.textContent = `.${cls} { display: none !important; }`;
  document.head.appendChild(style);
}

// The payload's header alone (a few hundred bytes of JSON): the plane's name (Python's key;
// Streamlit hands the module an instance id, not the key) and the payload's id.
function headerOf(bytes) {
  const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  return JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + n)));
}

// The state mount (assets/plane/state.js) calls this, or queued its calls until now.
function setState(data) {
  if (!data || typeof data.plane !== "string") return;
  states.set(data.plane, data);
  const plane = planes.get(data.plane);
  if (plane) plane.setState(data);
}
stats.setState = setState;
for (const data of window.__vaeGeomStates || []) setState(data);
window.__vaeGeomStates = [];

export default function ({ data, parentElement, setTriggerValue }) {
  if (data instanceof Uint8Array || data instanceof ArrayBuffer) {
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    const key = headerOf(bytes).meta.plane;
    let plane = planes.get(key);
    if (!plane) planes.set(key, (plane = new Plane(key, setTriggerValue)));
    plane.send = setTriggerValue; // the latest call's: Streamlit may hand a new one on a rerun
    plane.attach(parentElement);
    plane.setState(states.get(key));
    plane.load(bytes).then((drawn) => drawn && hideFallback(key), (err) => {
      plane.readout.textContent = `${err}`;
      plane.readout.className = "vg-readout vg-error";
    });
  }
  return () => {}; // the plane and its data outlive reruns; a remount re-attaches it
}

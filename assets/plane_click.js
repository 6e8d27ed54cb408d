// Click-anywhere for plotly charts in Streamlit.
//
// Why: st.plotly_chart(on_select=...) reports clicks on a trace's points only, never on empty
// space, but the whole lesson is "click where there is NO data and see what the decoder makes".
// Plotly (>= 3.5) emits `plotly_click` with data coordinates (xvals, yvals) anywhere in the plot
// area when layout.clickanywhere is true; Streamlit does not forward that event, so this listener
// finds each chart by its Streamlit key (the `.st-key-<key>` class), listens, and sends {x, y}
// back to Python as a trigger value. It also draws a crosshair at the current z.
//
// Streamlit (1.67) calls the exported function again whenever `data` changes (a new z, on the
// first full rerun after a click) but calls the cleanup it returns only on unmount, and only the
// last call's. So nothing is made per call, or it leaks (issue 11: one more observer per call,
// and the stale ones re-added a plotly_afterplot listener at every redraw). The module is loaded
// once per page, so its state outlives reruns: one observer, one click handler per chart key, two
// plotly listeners per chart div; a call only swaps in its data, which the handlers read.
const routes = new Map(); // chart key -> the latest call's {data, send, z}
const clicks = new Map(); // chart key -> its plotly_click handler, made once
let observer = null;

const chart = (key) => document.querySelector(`.st-key-${key} .js-plotly-plot`);

// The crosshair lives in plotly's top SVG layer (where its own hover labels go), not in an HTML
// overlay: an HTML element over thousands of ellipses made every click repaint them (~230 ms
// per click with 5,000 ellipses, BENCHMARKS.md).
function place(gd, z) {
  const layer = gd.querySelector(".main-svg:last-of-type");
  const xa = gd._fullLayout && gd._fullLayout.xaxis, ya = gd._fullLayout && gd._fullLayout.yaxis;
  let mark = layer && layer.querySelector(":scope > .vae-geom-mark");
  if (!z || !xa || !ya || !layer) { if (mark) mark.remove(); return; }
  if (!mark) {
    mark = document.createElementNS("http://www.w3.org/2000/svg", "path");
    mark.setAttribute("class", "vae-geom-mark");
    mark.setAttribute("d", "M-8,0H8M0,-8V8");
    mark.setAttribute("style", "stroke:#d00;stroke-width:3;pointer-events:none");
    layer.appendChild(mark);
  }
  const t = `translate(${xa._offset + xa.l2p(z[0])},${ya._offset + ya.l2p(z[1])})`;
  if (mark.getAttribute("transform") !== t) mark.setAttribute("transform", t);
}

function clickFor(key) {
  if (!clicks.has(key)) clicks.set(key, (ev) => {
    const m = routes.get(key); // read at click time: always the latest call's data
    if (!m) return; // the listener was unmounted; the chart lives on
    const x = ev.xvals ? ev.xvals[0] : ev.points && ev.points[0] && ev.points[0].x;
    const y = ev.yvals ? ev.yvals[0] : ev.points && ev.points[0] && ev.points[0].y;
    if (!Number.isFinite(x) || !Number.isFinite(y)) return;
    m.z = [x, y]; // the crosshair moves before Python answers
    for (const k of m.data.charts) {
      const g = chart(k);
      if (g) { g.__vaeGeomZ = m.z; place(g, m.z); }
    }
    m.send("click", { x, y, chart: key, t: Date.now() }); // t: repeat clicks count
  });
  return clicks.get(key);
}

function attach() {
  for (const [key, m] of routes) {
    const gd = chart(key);
    if (!gd || typeof gd.on !== "function") continue; // not drawn yet: the observer retries
    const onClick = clickFor(key);
    if (gd.__vaeGeomClick !== onClick) { // a new chart div (a β change makes one): listen once
      if (gd.__vaeGeomClick) { // another copy of this module listened here: take its place
        gd.removeListener("plotly_click", gd.__vaeGeomClick);
        gd.removeListener("plotly_afterplot", gd.__vaeGeomAfterplot);
      }
      gd.__vaeGeomAfterplot = () => place(gd, gd.__vaeGeomZ); // after zoom or redraw
      gd.on("plotly_click", onClick);
      gd.on("plotly_afterplot", gd.__vaeGeomAfterplot);
      gd.__vaeGeomClick = onClick;
    }
    gd.__vaeGeomZ = m.z;
    place(gd, m.z);
  }
}

export default function ({ data, setTriggerValue }) {
  const m = { data, send: setTriggerValue, z: data.z };
  for (const key of data.charts) routes.set(key, m);
  if (!observer) {
    observer = new MutationObserver(attach); // charts appear and are replaced on reruns
    observer.observe(document.body, { childList: true, subtree: true });
  }
  attach();
  // Runs on unmount, or at once for a call Streamlit superseded before it ran: either way it
  // gives up only the keys this call still holds, and the observer once no chart is left.
  return () => {
    for (const key of data.charts) if (routes.get(key) === m) routes.delete(key);
    if (!routes.size && observer) { observer.disconnect(); observer = null; }
  };
}

// Click-anywhere for plotly charts in Streamlit, in ~40 lines.
//
// Why: st.plotly_chart(on_select=...) reports clicks on a trace's points only, never on empty
// space, but the whole lesson is "click where there is NO data and see what the decoder makes".
// Plotly (>= 3.5) emits `plotly_click` with data coordinates (xvals, yvals) anywhere in the plot
// area when layout.clickanywhere is true; Streamlit does not forward that event, so this listener
// finds each chart by its Streamlit key (the `.st-key-<key>` class), listens, and sends {x, y}
// back to Python as a trigger value. It also draws a crosshair at the current z.
export default function ({ data, setTriggerValue }) {
  const handlers = new Map(); // chart key -> this mount's handler (replaced on every mount)
  let current = data.z; // the latest z: clicks update it before Python answers

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

  function attach() {
    for (const key of data.charts) {
      const gd = document.querySelector(`.st-key-${key} .js-plotly-plot`);
      if (!gd || typeof gd.on !== "function") continue; // not drawn yet: the observer retries
      const mine = handlers.get(key) || ((ev) => {
        const x = ev.xvals ? ev.xvals[0] : ev.points && ev.points[0] && ev.points[0].x;
        const y = ev.yvals ? ev.yvals[0] : ev.points && ev.points[0] && ev.points[0].y;
        if (!Number.isFinite(x) || !Number.isFinite(y)) return;
        current = [x, y];
        for (const k of data.charts) {
          const g = document.querySelector(`.st-key-${k} .js-plotly-plot`);
          if (g) { g.__vaeGeomZ = current; place(g, current); }
        }
        setTriggerValue("click", { x, y, chart: key, t: Date.now() }); // t: repeat clicks count
      });
      handlers.set(key, mine);
      if (gd.__vaeGeomClick !== mine) { // a new chart, or a new mount: swap in this handler
        if (gd.__vaeGeomClick) gd.removeListener("plotly_click", gd.__vaeGeomClick);
        gd.on("plotly_click", mine);
        gd.on("plotly_afterplot", () => place(gd, gd.__vaeGeomZ)); // after zoom or redraw
        gd.__vaeGeomClick = mine;
      }
      gd.__vaeGeomZ = current;
      place(gd, current);
    }
  }

  attach();
  const observer = new MutationObserver(attach); // charts appear and are replaced on reruns
  observer.observe(document.body, { childList: true, subtree: true });
  return () => observer.disconnect();
}

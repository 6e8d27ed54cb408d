// The plane's small state (pinned z, 1σ/2σ, marks, link, texts) as its own tiny component.
//
// Why apart from plane.js: Streamlit (1.67) sends a components.v2 component's whole script with
// every element that mounts it, so a state mount of plane.js cost its 40 kB on every pin and
// every toggle (bench/plane_hover.py). This one is a few hundred bytes; it hands the state to
// plane.js through the page, or queues it until plane.js has loaded.
export default function ({ data }) {
  const plane = window.__vaeGeomPlane;
  if (plane && plane.setState) plane.setState(data);
  else (window.__vaeGeomStates = window.__vaeGeomStates || []).push(data);
  return () => {};
}

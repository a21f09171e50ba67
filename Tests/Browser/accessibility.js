// Accessibility checks every browser walk runs on every page it visits (Tests/Browser/cdp.py evaluates this file).
// Evaluates to a list of problems (strings); an empty list passes. What is checked, after WCAG 2.1 AA:
//   - the document has a lang, a title and exactly one h1, and heading levels never skip (h2 → h4);
//   - every visible form field is labelled (label[for], a wrapping label, aria-label or aria-labelledby) and every
//     button and link has a name;
//   - every img has alt text (empty alt only with role=presentation) and every svg with role=img has a title or label;
//   - text contrast against its effective background is at least 4.5:1, 3:1 for large text (≥ 24px, or ≥ 18.66px bold).
(() => {
  const problems = [];
  const describe = (el) => {
    let text = el.tagName.toLowerCase();
    if (el.id) text += "#" + el.id;
    else if (el.getAttribute("name")) text += "[name=" + el.getAttribute("name") + "]";
    const content = (el.textContent || "").trim().replace(/\s+/g, " ").slice(0, 40);
    return content ? text + " \"" + content + "\"" : text;
  };
  const visible = (el) => {
    const style = getComputedStyle(el);
    if (style.display === "none" || style.visibility === "hidden") return false;
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0;
  };
  const nameOf = (el) => {
    const labelledBy = el.getAttribute("aria-labelledby");
    if (labelledBy) {
      const text = labelledBy.split(/\s+/).map((id) => document.getElementById(id)?.textContent || "").join(" ").trim();
      if (text) return text;
    }
    return (el.getAttribute("aria-label") || "").trim();
  };

  if (!(document.documentElement.getAttribute("lang") || "").trim()) problems.push("html has no lang");
  if (!document.title.trim()) problems.push("document has no title");
  const h1s = document.querySelectorAll("h1");
  if (h1s.length !== 1) problems.push("expected one h1, found " + h1s.length);
  let previous = 0;
  for (const heading of document.querySelectorAll("h1, h2, h3, h4, h5, h6")) {
    const level = Number(heading.tagName[1]);
    if (previous && level > previous + 1) problems.push("heading level skips from h" + previous + " to " + describe(heading));
    if (!heading.textContent.trim()) problems.push("empty heading " + describe(heading));
    previous = level;
  }

  for (const field of document.querySelectorAll("input, select, textarea")) {
    const type = (field.getAttribute("type") || "").toLowerCase();
    if (type === "hidden" || !visible(field)) continue;
    if (["submit", "button", "reset"].includes(type)) {
      if (!(field.value || nameOf(field))) problems.push("button without a name: " + describe(field));
      continue;
    }
    const labelled = (field.id && document.querySelector('label[for="' + CSS.escape(field.id) + '"]')?.textContent.trim())
      || field.closest("label")?.textContent.trim() || nameOf(field);
    if (!labelled) problems.push("form field without a label: " + describe(field));
  }
  for (const control of document.querySelectorAll("button, a[href]")) {
    if (!visible(control)) continue;
    const named = control.textContent.trim() || nameOf(control) || control.getAttribute("title")
      || [...control.querySelectorAll("img[alt]")].some((img) => img.alt.trim());
    if (!named) problems.push(control.tagName.toLowerCase() + " without a name: " + describe(control));
  }
  for (const img of document.querySelectorAll("img")) {
    if (!img.hasAttribute("alt")) problems.push("img without alt: " + (img.getAttribute("src") || "").slice(0, 60));
    else if (!img.alt.trim() && img.getAttribute("role") !== "presentation") problems.push("img with empty alt not marked presentation");
  }
  for (const svg of document.querySelectorAll("svg[role=img]")) {
    if (!(svg.querySelector(":scope > title")?.textContent.trim() || nameOf(svg))) problems.push("svg role=img without a title");
  }

  const parse = (color) => {
    const m = color.match(/rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)/);
    return m ? [Number(m[1]), Number(m[2]), Number(m[3]), m[4] === undefined ? 1 : Number(m[4])] : [0, 0, 0, 1];
  };
  const blend = (top, bottom) => {
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)).concat([1]);
  };
  const background = (el) => {
    const layers = [];
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const color = parse(getComputedStyle(node).backgroundColor);
      if (color[3] > 0) layers.push(color);
      if (color[3] >= 1) break;
    }
    let result = [255, 255, 255, 1];
    for (const layer of layers.reverse()) result = blend(layer, result);
    return result;
  };
  const luminance = (rgb) => {
    const [r, g, b] = rgb.slice(0, 3).map((v) => {
      const c = v / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || seen.has(el) || !visible(el)) continue;
    if (el.closest("svg, script, style, noscript")) continue;
    seen.add(el);
    const style = getComputedStyle(el);
    const back = background(el);
    const fore = blend(parse(style.color), back);
    const [light, dark] = [luminance(fore), luminance(back)].sort((a, b) => b - a);
    const ratio = (light + 0.05) / (dark + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    const needed = large ? 3 : 4.5;
    if (ratio + 0.005 < needed) problems.push("contrast " + ratio.toFixed(2) + ":1 < " + needed + ":1 for " + describe(el));
  }
  return problems;
})()

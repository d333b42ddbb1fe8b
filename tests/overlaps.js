() => {
  const out = [];
  document.querySelectorAll('.nc-chart').forEach((chart, ci) => {
    const texts = [...chart.querySelectorAll('svg text')].filter(t => t.textContent.trim() && getComputedStyle(t).opacity !== '0'
        && t.getAttribute('opacity') !== '0');
    const boxes = texts.map(t => { const r = t.getBoundingClientRect(); return {t: t.textContent, x0: r.left, y0: r.top, x1: r.right, y1: r.bottom}; })
                       .filter(b => b.x1 - b.x0 > 0.5 && b.y1 - b.y0 > 0.5);
    for (const b of boxes) if (b.t.includes('\u2026')) out.push({chart: ci, kind: 'truncated', a: b.t});
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i], b = boxes[j];
      const w = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0), h = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
      if (w > 1 && h > 1) out.push({chart: ci, kind: 'overlap', a: a.t, b: b.t, w: Math.round(w), h: Math.round(h)});
    }
  });
  return out;
}

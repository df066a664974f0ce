// A PNG of the comparison's charts: each recharts SVG serialised, loaded as an image from a blob: URL
// (the page's Content-Security-Policy allows `img-src blob:`, vite.config.ts), drawn on a canvas
// under a title, with the legend drawn beside it (recharts renders its legend as HTML, not SVG).

const BACKGROUND = '#171d24';
const TEXT = '#e6edf3';
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

export interface LegendItem {
  label: string;
  colour: string;
  dashed: boolean;
  /** A dot on the line, as the chart draws at each evaluation. */
  dot?: boolean;
}

export async function chartsPng(container: HTMLElement, title: string, legend: readonly LegendItem[]): Promise<Blob> {
  // The charts' own surfaces, not the small ones of the HTML legend's icons.
  const svgs = [...container.querySelectorAll<SVGSVGElement>('.recharts-wrapper > svg.recharts-surface')];
  if (svgs.length === 0) throw new Error('there is no chart to export yet');
  const scale = Math.max(1, Math.min(window.devicePixelRatio || 1, 2));
  const images = await Promise.all(svgs.map(svgImage));
  const width = Math.max(...images.map((i) => i.width), 320);
  const titleHeight = 32;
  const legendRows = Math.ceil(legend.length / Math.max(1, Math.floor(width / 200)));
  const legendHeight = legendRows * 20 + 8;
  const height = titleHeight + images.reduce((sum, i) => sum + i.height, 0) + legendHeight;
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('this browser cannot draw on a canvas');
  ctx.scale(scale, scale);
  ctx.fillStyle = BACKGROUND;
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = TEXT;
  ctx.font = `600 16px ${FONT}`;
  ctx.fillText(title, 12, 22);
  let y = titleHeight;
  for (const image of images) {
    ctx.drawImage(image.element, 0, y, image.width, image.height);
    y += image.height;
  }
  drawLegend(ctx, legend, width, y + 4);
  return new Promise((resolve, reject) => canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('the chart could not be encoded as PNG'))), 'image/png'));
}

async function svgImage(svg: SVGSVGElement): Promise<{ element: HTMLImageElement; width: number; height: number }> {
  const { width, height } = svg.getBoundingClientRect();
  const copy = svg.cloneNode(true) as SVGSVGElement;
  copy.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  copy.setAttribute('width', String(width));
  copy.setAttribute('height', String(height));
  // Outside the page the stylesheet's font does not apply.
  copy.setAttribute('font-family', FONT);
  const url = URL.createObjectURL(new Blob([new XMLSerializer().serializeToString(copy)], { type: 'image/svg+xml' }));
  try {
    const element = new Image();
    element.src = url;
    await element.decode();
    return { element, width, height };
  } finally {
    URL.revokeObjectURL(url);
  }
}

function drawLegend(ctx: CanvasRenderingContext2D, legend: readonly LegendItem[], width: number, top: number): void {
  const perRow = Math.max(1, Math.floor(width / 200));
  ctx.font = `13px ${FONT}`;
  legend.forEach((item, i) => {
    const x = 12 + (i % perRow) * 200;
    const y = top + Math.floor(i / perRow) * 20 + 10;
    ctx.strokeStyle = item.colour;
    ctx.lineWidth = 2;
    ctx.setLineDash(item.dashed ? [5, 4] : []);
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.lineTo(x + 24, y);
    ctx.stroke();
    if (item.dot) {
      ctx.fillStyle = item.colour;
      ctx.beginPath();
      ctx.arc(x + 12, y, 4, 0, 2 * Math.PI);
      ctx.fill();
    }
    ctx.fillStyle = TEXT;
    ctx.fillText(item.label, x + 30, y + 4);
  });
  ctx.setLineDash([]);
}

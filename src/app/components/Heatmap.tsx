import { useRef, useState, type KeyboardEvent } from 'react';
import type { Allocation } from '../../gora/allocate';
import { formatSignificant } from './format';
import { modulePlaces } from '../../model/module-places';
import { heatColour, heatGradient, heatmapMove, heatTextColour } from './chart-style';


type Value = 'rank' | 'importance';

interface Cell {
  layer: string;
  module: string;
  rank: number;
  importance: number;
}

/** What a cell says, on the page and to a screen reader: where it is, the map's own value first. */
function cellText(cell: Cell, value: Value): string {
  const rank = `rank ${cell.rank}`;
  const importance = `importance ${formatSignificant(cell.importance)}`;
  return `layer ${cell.layer}, ${cell.module}: ${value === 'rank' ? `${rank}, ${importance}` : `${importance}, ${rank}`}`;
}

const scaleText = (x: number, value: Value) => (value === 'rank' ? String(Math.round(x)) : formatSignificant(x, 3));

/**
 * Layers × modules, coloured by rank or importance, with its colour scale. The map is one tab stop
 * (a roving tabindex, as in the ARIA grid pattern): the arrow keys, Home and End move between cells,
 * and the focused or hovered cell's layer, module and values are written under the scale.
 */
export function Heatmap({ allocation, value, title }: { allocation: Allocation; value: Value; title: string }) {
  // Layers in the model's order (a T5 model's encoder blocks, then its decoder's).
  const places = modulePlaces(allocation.layers.map((l) => l.name));
  const cells = allocation.layers.map((l, i): Cell => ({ ...places[i], rank: l.rank, importance: l.importance }));
  const modules = [...new Set(cells.map((c) => c.module))];
  const layers = [...new Set(cells.map((c) => c.layer))];
  const labelOf = new Map(places.flatMap((p) => [[`m ${p.module}`, p.moduleLabel], [`l ${p.layer}`, p.layerLabel]]));
  const grid = layers.map((layer) => modules.map((m) => cells.find((c) => c.layer === layer && c.module === m) ?? null));
  const present = grid.map((row) => row.map((c) => c !== null));
  const values = cells.map((c) => c[value]);
  const max = Math.max(...values, 1e-30);
  // Ranks from 0, so that a colour means the same rank in two maps of one comparison.
  const min = value === 'rank' ? 0 : Math.min(...values);

  const [active, setActive] = useState<[number, number]>([0, 0]);
  const [focused, setFocused] = useState<Cell | null>(null);
  const [hovered, setHovered] = useState<Cell | null>(null);
  // The pointer and the keyboard can each point at a cell: the one that moved last is read out.
  const [last, setLast] = useState<'focus' | 'hover'>('focus');
  const elements = useRef(new Map<string, HTMLElement>());
  // The tab stop: the last focused cell while it exists, else the first cell there is.
  const stop = present[active[0]]?.[active[1]] ? active : (heatmapMove(present, [0, 0], 'Home', true) ?? [0, 0]);
  const shown = last === 'hover' ? (hovered ?? focused) : (focused ?? hovered);

  const onKeyDown = (event: KeyboardEvent, at: [number, number]) => {
    const next = heatmapMove(present, at, event.key, event.ctrlKey || event.metaKey);
    if (!next) return;
    event.preventDefault();
    setActive(next);
    elements.current.get(`${next[0]}-${next[1]}`)?.focus();
  };

  return (
    <figure className="heatmap" data-testid={`heatmap-${value}`}>
      <figcaption>{title}</figcaption>
      <div className="heatmap-scale" data-testid="heatmap-scale" role="img" aria-label={`colour scale: ${value} from ${scaleText(min, value)} (dark teal) to ${scaleText(max, value)} (orange)`}>
        <span>{value}</span>
        <span>{scaleText(min, value)}</span>
        <span className="heatmap-ramp" style={{ background: heatGradient() }} />
        <span>{scaleText(max, value)}</span>
      </div>
      <p className="heatmap-readout" data-testid="heatmap-readout">
        {shown ? cellText(shown, value) : 'Hover a cell, or Tab to the map and use the arrow keys, to read its values.'}
      </p>
      <div className="heatmap-grid" role="grid" aria-label={title} style={{ gridTemplateColumns: `3.5em repeat(${modules.length}, minmax(2.2em, 1fr))` }} onMouseLeave={() => setHovered(null)}>
        <div role="row" className="heatmap-row">
          <span role="columnheader" aria-label="layer" />
          {modules.map((m) => (
            <span key={m} role="columnheader" className="heatmap-head" title={m}>
              {labelOf.get(`m ${m}`)}
            </span>
          ))}
        </div>
        {grid.map((row, i) => (
          <div key={layers[i]} role="row" className="heatmap-row">
            <span role="rowheader" className="heatmap-head">
              {labelOf.get(`l ${layers[i]}`)}
            </span>
            {row.map((cell, j) => {
              if (!cell) return <span key={modules[j]} role="gridcell" aria-label={`layer ${layers[i]}, ${modules[j]}: no adapter`} />;
              const t = (cell[value] - min) / (max - min || 1);
              return (
                <span
                  key={modules[j]}
                  ref={(element) => {
                    if (element) elements.current.set(`${i}-${j}`, element);
                    else elements.current.delete(`${i}-${j}`);
                  }}
                  role="gridcell"
                  className="heatmap-cell"
                  tabIndex={stop[0] === i && stop[1] === j ? 0 : -1}
                  aria-label={cellText(cell, value)}
                  style={{ background: heatColour(t), color: heatTextColour(t) }}
                  onFocus={() => {
                    setActive([i, j]);
                    setFocused(cell);
                    setLast('focus');
                  }}
                  onBlur={() => setFocused(null)}
                  onMouseEnter={() => {
                    setHovered(cell);
                    setLast('hover');
                  }}
                  onKeyDown={(event) => onKeyDown(event, [i, j])}
                >
                  {value === 'rank' ? cell.rank : ''}
                </span>
              );
            })}
          </div>
        ))}
      </div>
    </figure>
  );
}

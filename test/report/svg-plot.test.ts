import { describe, expect, it } from 'vitest';
import { escapeXml, formatTick, niceTicks, renderPlot } from '../../src/report/svg-plot.ts';

/** Well-formedness: one root, balanced tags, quoted attributes, text with only the five entities. */
function assertWellFormedXml(xml: string): void {
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<&]*(?:&(?:amp|lt|gt|quot|#39);[^"<&]*)*")*)\s*(\/?)>/y;
  const text = /(?:[^<&]|&(?:amp|lt|gt|quot|#39);)*/y;
  const stack: string[] = [];
  let roots = 0;
  let i = 0;
  while (i < xml.length) {
    if (xml[i] === '<') {
      tag.lastIndex = i;
      const m = tag.exec(xml);
      if (!m) throw new Error(`malformed tag at ${i}: ${xml.slice(i, i + 60)}`);
      const [whole, closing, name, , selfClosing] = m;
      if (closing) {
        const open = stack.pop();
        if (open !== name) throw new Error(`</${name}> closes <${open}> at ${i}`);
      } else {
        if (stack.length === 0) roots += 1;
        if (!selfClosing) stack.push(name);
      }
      i += whole.length;
    } else {
      text.lastIndex = i;
      const m = text.exec(xml)!;
      if (m[0].length === 0) throw new Error(`bad character at ${i}: ${xml.slice(i, i + 20)}`);
      if (stack.length === 0 && m[0].trim() !== '') throw new Error(`text outside the root at ${i}`);
      i += m[0].length;
    }
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack.join('> <')}>`);
  if (roots !== 1) throw new Error(`expected one root element, got ${roots}`);
}

describe('the well-formedness checker', () => {
  it('rejects what it should', () => {
    expect(() => assertWellFormedXml('<svg><g></svg>')).toThrow(/closes/);
    expect(() => assertWellFormedXml('<svg>a & b</svg>')).toThrow(/bad character/);
    expect(() => assertWellFormedXml('<svg x=1></svg>')).toThrow(/malformed/);
    expect(() => assertWellFormedXml('<svg/><svg/>')).toThrow(/one root/);
    expect(() => assertWellFormedXml('<svg><text>a &amp; b</text></svg>')).not.toThrow();
  });
});

describe('ticks', () => {
  it('uses 1-2-5 steps covering the range', () => {
    expect(niceTicks(0, 1, 5)).toEqual({ ticks: [0, 0.2, 0.4, 0.6, 0.8, 1], step: 0.2 });
    expect(niceTicks(0.13, 0.87, 5).ticks).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(1, 150, 6)).toEqual({ ticks: [0, 50, 100, 150], step: 50 });
    expect(niceTicks(-0.003, 0.011, 5).ticks).toEqual([-0.005, 0, 0.005, 0.01, 0.015]);
    // Zero is exactly zero, not 6.9e-18 from adding steps.
    expect(niceTicks(-0.06, 0.06, 5).ticks).toEqual([-0.1, -0.05, 0, 0.05, 0.1]);
    expect(niceTicks(-0.3, 0.3, 6).ticks).toContain(0);
    // A flat series still gets a range.
    expect(niceTicks(2, 2, 5).ticks[0]).toBeLessThan(2);
    expect(formatTick(0.2, 0.2)).toBe('0.2');
    expect(formatTick(150, 50)).toBe('150');
    expect(formatTick(0.0005, 0.0005)).toBe('5.0e-4');
  });
});

describe('renderPlot', () => {
  const base = { title: 'success <rate> & more', xLabel: 'step', yLabel: 'success_rate' };

  it('maps data to pixels: x 0..10 → 64..624, y 0..1 → 256..30', () => {
    // Width 640 + 210 legend; plot area 560 × 226 inside margins 64/16/30/44.
    const svg = renderPlot({
      ...base,
      series: [
        {
          label: 'a',
          color: '#4e79a7',
          points: [
            [0, 0],
            [5, 0.5],
            [10, 1],
          ],
        },
      ],
    });
    expect(svg).toContain('<polyline points="64,256 344,143 624,30"');
    expect(svg).toContain('width="850" height="300"');
    assertWellFormedXml(svg);
  });

  it('escapes text, breaks lines at missing values, and draws bands', () => {
    const svg = renderPlot({
      ...base,
      series: [
        {
          label: 'cell <1> & "2"',
          color: '#f28e2b',
          points: [
            [0, 0],
            [1, NaN],
            [2, 1],
            [3, 1],
          ],
          band: [
            [0, -0.1, 0.1],
            [1, NaN, NaN],
            [2, 0.8, 1.2],
            [3, 0.9, 1.1],
          ],
        },
      ],
    });
    assertWellFormedXml(svg);
    expect(svg).toContain(escapeXml('cell <1> & "2"'));
    expect(svg).toContain('&lt;rate&gt; &amp; more');
    expect(svg.match(/<polyline /g)).toHaveLength(1);
    expect(svg.match(/<circle /g)).toHaveLength(1);
    expect(svg.match(/<polygon /g)).toHaveLength(2);
  });

  it('draws scatter plots with a diagonal, and empty plots', () => {
    const scatter = renderPlot({
      ...base,
      kind: 'scatter',
      diagonal: true,
      series: [
        {
          label: 's',
          color: '#000',
          points: [
            [-0.01, -0.02],
            [0.01, 0.005],
          ],
        },
      ],
    });
    assertWellFormedXml(scatter);
    expect(scatter.match(/<circle /g)).toHaveLength(2);
    expect(scatter).toContain('stroke-dasharray');
    const empty = renderPlot({ ...base, series: [] });
    assertWellFormedXml(empty);
    expect(empty).toContain('no data');
  });

  it('is byte-stable', () => {
    const spec = {
      ...base,
      series: [
        {
          label: 'a',
          color: '#4e79a7',
          points: [
            [1, 0.1],
            [2, 0.35],
            [3, 0.3],
          ] as [number, number][],
        },
      ],
    };
    expect(renderPlot(spec)).toBe(renderPlot(structuredClone(spec)));
  });
});

// The report's view of which tokens fork: saved episodes (token-samples.jsonl) with every token
// shaded by π_old's entropy at it — white at 0 nats, dark orange at the largest entropy shown —
// grouped by run and step, so a reader sees where in an answer the entropy sits and how that
// changes as training goes on. The exact value is each token's tooltip.
import type { TokenSample } from '../train/token-samples.ts';
import { escapeXml } from './svg-plot.ts';

export const TOKEN_VIEW_CSS = `.tokens{font-family:Menlo,Consolas,monospace;font-size:13px;line-height:1.9;margin:4px 0 12px}
.tokens span{padding:1px 2px;border-radius:2px;margin-right:1px}.tokens .turn{border-left:2px solid #888;margin-left:6px}
.prompt{font-size:12px;color:#333;background:#f7f7f7;padding:4px 6px;margin:6px 0 2px;white-space:pre-wrap}`;

/** Background for entropy `h` on a scale whose darkest colour is `max` nats. */
export function tokenShade(h: number, max: number): string {
  const t = max > 0 ? Math.max(0, Math.min(1, h / max)) : 0;
  return `rgba(230,85,13,${t.toFixed(3)})`;
}

/** One run's saved samples as HTML, by step; `max`: the entropy of the darkest shade. */
export function renderTokenSamples(label: string, samples: readonly TokenSample[], max: number): string {
  const out: string[] = [`<h3>${escapeXml(label)}</h3>`];
  for (const step of [...new Set(samples.map((s) => s.step))].sort((a, b) => a - b)) {
    out.push(`<h4>step ${step}</h4>`);
    for (const s of samples.filter((x) => x.step === step)) {
      out.push(
        `<div class="prompt">${escapeXml(s.prompt)}</div>`,
        `<div class="tokens">${s.tokens
          .map(([text, h, turn], i) => {
            const cls = i > 0 && turn !== s.tokens[i - 1][2] ? ' class="turn"' : '';
            const shown = text.length > 0 ? text : '∅';
            return `<span${cls} style="background:${tokenShade(h, max)}" title="H = ${h.toFixed(3)} nats">${escapeXml(shown)}</span>`;
          })
          .join('')} <span class="note">reward ${s.reward.toFixed(2)}${s.success ? ', solved' : ''}</span></div>`,
      );
    }
  }
  return out.join('\n');
}

/** The section for several runs: one shared scale (the largest entropy among them). */
export function tokenSection(runs: readonly { label: string; samples: TokenSample[] }[]): string {
  const withSamples = runs.filter((r) => r.samples.length > 0);
  if (withSamples.length === 0) return '';
  const max = Math.max(...withSamples.flatMap((r) => r.samples.flatMap((s) => s.tokens.map((t) => t[1]))));
  return [
    '<h2>Tokens by entropy</h2>',
    `<p class="note">Sampled episodes saved during training (diagnostics.token_samples): each token shaded by ` +
      `π_old's entropy there, white = 0 to darkest = ${max.toFixed(2)} nats; hover a token for its value; ` +
      'a grey bar starts a new turn.</p>',
    ...withSamples.map((r) => renderTokenSamples(r.label, r.samples, max)),
  ].join('\n');
}

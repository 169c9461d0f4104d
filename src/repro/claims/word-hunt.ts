// The token-level base runs the claims share: plain GRPO on word-hunt from the SFT warm start of
// configs/repro/sft-word-hunt.yaml (sweep configs/repro/word-hunt-grpo.yaml; docs/text.md).
export const WORD_HUNT_SWEEP = 'word-hunt-grpo';
export const WORD_HUNT_CELL = 'method-grpo';
export const WORD_HUNT_WARM_START = 'sft-word-hunt';
export const WORD_HUNT_ENV =
  'word-hunt (docs/text.md: a 3–5-letter word of a hidden lexicon with two given letters and without a third; ' +
  '32-token vocabulary, thousands of valid words per prompt, held-out prompts), GRPO from the shared SFT warm ' +
  'start configs/repro/sft-word-hunt.yaml';

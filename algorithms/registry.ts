// The built-in regularizers: importing this file registers each one (its file calls
// defineRegularizer), in the order `entrolab list` shows them. Adding a built-in is one file plus
// one import line here; a program using the library imports its own file instead.
import './entropy-bonus.ts';
import './clip-cov.ts';
import './kl-cov.ts';
import './aepo.ts';
import './epo.ts';
import './steer.ts';
import './entropy-floor.ts';
import './entropy-clip.ts';
import './canon.ts';
import './entropy-balanced.ts';
import './arpo.ts';
import './high-entropy-tokens.ts';
import './entropic.ts';
import './siren.ts';
import './archer.ts';
import './hwe-reward.ts';
import './spear.ts';
import './pear.ts';
import './entropy-advantage.ts';
import './ucas.ts';
import './edge-eda.ts';
import './rent.ts';
import './entropy-min.ts';

export { defineRegularizer, REGULARIZERS, registerRegularizer } from './regularizer.ts';

// The built-in environments: importing this file registers each one (its file calls defineEnv), in
// the order `entrolab list` shows them. A program or plugin defines its own with defineEnv instead.
import './gridworld.ts';
import './arithmetic.ts';
import './string-transform.ts';
import './constrained-words.ts';
import './guess-number.ts';
import './chain-sum.ts';
import './word-hunt.ts';
import './word-search.ts';

export { defineEnv, ENVS, registerEnv } from './env.ts';

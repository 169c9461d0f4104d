// The built-in policies: importing this file registers each one (its file calls definePolicy), in the
// order `entrolab list` shows them. A program or plugin defines its own with definePolicy instead.
import './mlp.ts';
import './transformer.ts';

export { definePolicy, POLICIES, registerPolicy } from './policy.ts';

#!/usr/bin/env node
// The `gt` command: runs cli/gt.ts through tsx's loader (installed with the package).
import { register } from 'tsx/esm/api';

register();
await import('../cli/gt.ts');

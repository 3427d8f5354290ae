#!/usr/bin/env node
// The `bd` command: runs cli/bd.ts through tsx's loader (installed with the package).
import { register } from 'tsx/esm/api';

register();
await import('../cli/bd.ts');

/** What every page gets from the shell: who is signed in, and the flash messages. */
import type { FlashbarProps } from '@cloudscape-design/components/flashbar';
import { createContext, useContext } from 'react';
import type { Me } from '../auth.ts';

export interface Shell {
  me: Me | null;
  flash(type: FlashbarProps.Type, content: string): void;
}
export const ShellContext = createContext<Shell>({ me: null, flash: () => undefined });
export const useShell = () => useContext(ShellContext);

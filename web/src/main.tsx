import '@cloudscape-design/global-styles/index.css';
import './focus.css';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { loadSettings } from './auth.ts';

await loadSettings();
createRoot(document.getElementById('root')!).render(<App />);

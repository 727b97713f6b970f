// Global styles first, so each page's own stylesheet (imported by its component) can refine them.
import './styles.css';
import { render } from 'preact';
import { App } from './app/App.js';

render(<App />, document.getElementById('app')!);

/** Entry point of widget.js: reads the embed config and starts one widget per page. */

import { findScript, readConfig } from './config.js';
import { Widget } from './widget.js';

const script = findScript();

function start() {
  if (window.__autocrmWidget) return; // embedded twice: keep the first
  const config = readConfig(script, window.AutoCRM);
  if (!config.widgetKey) {
    console.error('AutoCRM widget: add data-widget-key="..." to the <script> tag.');
    return;
  }
  window.__autocrmWidget = new Widget(config);
  window.__autocrmWidget.start();
}

if (document.body) start();
else document.addEventListener('DOMContentLoaded', start);

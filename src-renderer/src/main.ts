// The renderer's entry: choose the transport, start the state, mount the app.

import { mount } from 'svelte';
import App from './app.svelte';
import './app.css';
import { router } from './state/router.svelte';
import { settings } from './state/settings.svelte';
import { startStudio } from './state/studio.svelte';
import { selectTransport } from './transport/select';

startStudio(selectTransport(window));
settings.startTheme(window);
router.start(window);

const target = document.getElementById('app');
if (target === null) throw new Error('index.html has no #app element');
mount(App, { target });

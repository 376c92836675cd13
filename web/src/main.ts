// The room page's entry: picks the page from the address.
//   /NAME, /room/NAME → meeting selection · /room/NAME/settings → owner settings
//   /video/NAME/ID → the local platform's meeting page
import './style.css';
import { h, mount } from './dom.js';
import { roomPage } from './room-page.js';
import { settingsPage } from './settings-page.js';
import { signIn } from './sign-in.js';
import { startTicker } from './ticker.js';
import { videoPage } from './video-page.js';

const segments = location.pathname.split('/').slice(1).map(decodeURIComponent);
document.querySelector('header')!.append(signIn());
startTicker();

if (segments[0] === 'video' && segments.length === 3) videoPage(segments[1]!, segments[2]!);
else if (segments[0] === 'room' && segments[2] === 'settings') settingsPage(segments[1]!);
else if (segments[0] === 'room' && segments.length === 2) roomPage(segments[1]!);
else if (segments.length === 1 && segments[0]) roomPage(segments[0]);
else mount(h('h1', {}, 'Not found'), h('p', {}, 'Open a room at /room/NAME.'));

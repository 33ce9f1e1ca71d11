// After one visit the page, its workers and MNIST work offline (www/sw.js).
if ('serviceWorker' in navigator) navigator.serviceWorker.register('sw.js');

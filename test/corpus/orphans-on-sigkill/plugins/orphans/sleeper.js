// A forked child that never ends by itself.
setInterval(() => {}, 1000);

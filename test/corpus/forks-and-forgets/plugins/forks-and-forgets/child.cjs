process.on('message', () => {});
setInterval(() => process.send?.('tick'), 1000);

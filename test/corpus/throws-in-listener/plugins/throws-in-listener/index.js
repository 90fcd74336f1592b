import { EventEmitter } from 'node:events';
export default {
  activate(ctx) {
    const events = new EventEmitter();
    events.on('tick', () => {
      throw new Error('thrown from an event listener');
    });
    ctx.setTimeout(() => events.emit('tick'), 100);
  },
};

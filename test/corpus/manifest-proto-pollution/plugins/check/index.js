export default {
  activate(ctx) {
    ctx.log.info(({}).polluted === undefined && ({}).isolation === undefined ? 'prototype clean' : 'prototype POLLUTED');
  },
};

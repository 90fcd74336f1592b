// A worker plugin providing a service: the host gives other plugins a proxy of it. Nothing is
// wrong in this plugin itself — its proxy is kept after unload by keeps-worker-service, so
// unloading it leaves the host-side proxy (and through it the host's runtime of the plugin)
// reachable.
import { tokenFor } from 'steward';

export default {
  activate(ctx) {
    ctx.services.provide(tokenFor('corpus.clock'), { now: () => Date.now() });
  },
};

// Top-level code that throws while the host imports the plugin.
const config = JSON.parse('{not json');
export default {
  activate() {
    return config;
  },
};

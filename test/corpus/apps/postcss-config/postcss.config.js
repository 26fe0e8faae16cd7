module.exports = {
  plugins: {
    autoprefixer: { overrideBrowserslist: ["ie 10", "safari 8"] },
  },
};

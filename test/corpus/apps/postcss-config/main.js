// postcss-load-config: finds postcss.config.js by path and requires its plugins by name.
const postcss = require("postcss");
const postcssrc = require("postcss-load-config");

process.env.BROWSERSLIST_IGNORE_OLD_DATA = "1";
postcssrc({}, __dirname).then(({ plugins, options }) =>
  postcss(plugins)
    .process(".a { user-select: none; display: flex; }", { ...options, from: undefined })
    .then((r) => {
      console.log(r.css);
      console.log("plugins", plugins.map((p) => p.postcssPlugin).join(","));
    }),
);

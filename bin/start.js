'use strict';
// `npm start`: the server built at install; rebuilt first only when the sources changed since (see build.js).
require('./build.js').ensureBuilt();
require('../dist/server.js');

// bench app 2: an HTTP server with a few dependencies (express 5 and its ~60 packages).
// Listens on 127.0.0.1:$PORT; the bench measures the time until GET / answers.
"use strict";
const express = require("express");

const app = express();
app.use(express.json());
app.get("/", (_req, res) => res.json({ ok: true, pid: process.pid }));
app.post("/echo", (req, res) => res.json(req.body));
app.get("/items/:id", (req, res) => res.json({ id: req.params.id }));

const port = Number(process.env.PORT || 3000);
app.listen(port, "127.0.0.1");

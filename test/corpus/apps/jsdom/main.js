// jsdom: a large pure-JS dependency tree with files it reads at run time (default stylesheet, xhr worker).
const { JSDOM } = require("jsdom");

const dom = new JSDOM(`<!DOCTYPE html><ul id="l"><li class="a">one</li><li>two</li></ul><p style="color: red">x</p>`);
const { document } = dom.window;
console.log([...document.querySelectorAll("li")].map((li) => li.textContent).join(","));
const li = document.createElement("li");
li.textContent = "three";
document.getElementById("l").appendChild(li);
console.log(document.getElementById("l").children.length, document.querySelector(".a").outerHTML);
console.log("color", dom.window.getComputedStyle(document.querySelector("p")).color);
console.log("display", dom.window.getComputedStyle(document.querySelector("li")).display);

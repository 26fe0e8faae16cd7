// pdfkit: reads the standard fonts' AFM metrics (data/*.afm) beside its own file.
const PDFDocument = require("pdfkit");

const doc = new PDFDocument({ autoFirstPage: true, info: { CreationDate: new Date(0) } });
for (const font of ["Helvetica", "Times-Roman", "Courier-Bold"]) {
  doc.font(font).fontSize(12);
  console.log(font, doc.widthOfString("Hello, packed world").toFixed(3), doc.currentLineHeight().toFixed(3));
}
doc.text("page one");
doc.addPage().text("page two");
let bytes = 0;
doc.on("data", (c) => (bytes += c.length));
doc.on("end", () => console.log("pdf bytes > 1000:", bytes > 1000, "pages", 2));
doc.end();

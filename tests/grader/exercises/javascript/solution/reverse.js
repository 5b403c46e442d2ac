const lines = require("fs").readFileSync(0, "utf8").split("\n");
if (lines[lines.length - 1] === "") lines.pop();
process.stdout.write(lines.reverse().map((line) => line + "\n").join(""));

console.log("hello from cli", process.version);

import { Service } from "bale:schemas";

export default Service({
  name: "demo.v1.Greeter",
  description: "Says hello in the caller's language.",
  methods: {
    SayHello: { input: "HelloRequest", output: "HelloReply", description: "Greets one person by name." },
  },
});

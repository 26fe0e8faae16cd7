const   x :number= 1;function f( a:string ){return a+  "!"}
export   { x,f }

"""The company "Contact us" desk (Fale Conosco): what representatives choose from and write, and how
their contacts become desk tickets."""

module faxd.dev/examples/go

go 1.19

require github.com/Shopify/sarama v1.22.1

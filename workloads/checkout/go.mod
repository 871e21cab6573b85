module incidentlab/checkout

go 1.19
